using Clickstream.Consumer.Stats;
using Clickstream.Contracts;
using Clickstream.ServiceDefaults.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.Options;

namespace Clickstream.Consumer.Consuming;

/// <summary>
/// The consume thread: polls the client, drops a redelivery by its <c>event-id</c> header before reading its
/// value, parses the rest (the visitor from the message key), and hands them to the apply thread in batches
/// (<see cref="HandOver"/>). It also measures each partition's lag and notices a broker that refuses reads.
/// The client's rebalance callbacks (<see cref="RebalanceHandler"/>) run on this thread, inside <c>Consume</c>.
/// </summary>
public sealed partial class ConsumeLoop(
    IConsumer<byte[]?, byte[]> consumer,
    KafkaConsumerSettings settings,
    IOptions<ConsumerOptions> options,
    HandOver handOver,
    DeduplicationWindow seen,
    PendingOffsets pending,
    OffsetGapDetector gaps,
    ConsumerMetrics metrics,
    ConsumeRefusals refusals,
    ILogger<ConsumeLoop> logger)
{
    // How long a poll blocks when nothing waits to be handed over: the stop token is looked at this often.
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(250);

    private readonly StringPool _strings = new(); // this thread's: it parses, the apply thread applies
    private long _nextLagCheck;

    /// <summary>Polls until stopped; then hands over what it holds and completes the buffer.</summary>
    public void Run(CancellationToken stoppingToken)
    {
        var batch = new List<Received>(HandOver.BatchSize);
        try
        {
            consumer.Subscribe(settings.Topic);
            LogSubscribed(settings.Topic, options.Value.ReplayOnStart);
            var batchStarted = 0L;
            while (!stoppingToken.IsCancellationRequested)
            {
                ConsumeResult<byte[]?, byte[]>? result;
                try
                {
                    // Block only when nothing waits to be handed over.
                    result = consumer.Consume(batch.Count == 0 ? IdlePoll : TimeSpan.Zero);
                }
                catch (ConsumeException ex)
                {
                    LogConsumeError(ex.Error.Code, ex.Error.Reason);
                    if (ConsumeRefusals.IsRefusal(ex.Error.Code))
                    {
                        refusals.Refused(ex.Error);
                    }

                    continue;
                }

                MeasureLag();
                if (result is { IsPartitionEOF: false })
                {
                    refusals.Received();
                    if (batch.Count == 0)
                    {
                        batchStarted = Environment.TickCount64;
                    }

                    batch.Add(Receive(result, seen, _strings));
                }

                if (batch.Count >= HandOver.BatchSize
                    || (batch.Count > 0 && (result is null || Environment.TickCount64 - batchStarted >= HandOver.BatchLinger.TotalMilliseconds)))
                {
                    handOver.Send(batch, stoppingToken);
                    batch = new List<Received>(HandOver.BatchSize);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // The apply thread drops what is still buffered when stopping (see EventApplier) and ends once the
            // buffer is complete; then Close stores the offsets of what was applied and commits them.
            handOver.Complete(batch);
        }
    }

    /// <summary>
    /// Dedup, then parse: the id is looked up before the value is read, so a duplicate costs a hash, not a JSON
    /// parse. Parsing here, not on the apply thread, splits the per-message work about evenly between the two.
    /// </summary>
    internal static Received Receive(ConsumeResult<byte[]?, byte[]> result, DeduplicationWindow seen, StringPool strings)
    {
        var message = result.Message;
        byte[]? id = null;
        var admission = message.Headers?.TryGetLastBytes(KafkaHeaders.EventId, out id) != true ? Admission.Untracked
            : seen.TryAdd(id) ? Admission.New
            : Admission.Duplicate;
        var click = admission == Admission.Duplicate || message.Value is not { } value ? null : ClickEvent.Parse(value, strings, message.Key);
        return new Received(result, click, id, admission);
    }

    /// <summary>
    /// After the apply thread ended: stores the applied offsets, commits them and leaves the group. With the group
    /// coordinator unreachable librdkafka blocks here until the session times out, and that is the bound:
    /// session.timeout.ms (6 s in appsettings.json; 45 s is librdkafka's default, so keep it set). A shorter wait on
    /// another thread would not shorten the exit: the container's disposal of the client (rd_kafka_destroy) waits
    /// for the same group termination, and destroying the client while the close still runs is unsafe.
    /// </summary>
    public void Close()
    {
        pending.Store(consumer);
        var started = Environment.TickCount64;
        try
        {
            consumer.Close();
            LogClosed(Environment.TickCount64 - started);
        }
        catch (KafkaException ex)
        {
            LogCloseFailed(ex.Error.Code, ex.Error.Reason);
        }
    }

    /// <summary>Once a second: high watermark (cached by the client from fetch responses) minus our position.</summary>
    private void MeasureLag()
    {
        var now = Environment.TickCount64;
        if (now < _nextLagCheck)
        {
            return;
        }

        _nextLagCheck = now + 1000;
        foreach (var partition in consumer.Assignment)
        {
            var marks = consumer.GetWatermarkOffsets(partition);
            if (marks.High.Value < 0)
            {
                continue;
            }

            var next = gaps.Position(partition) ?? Math.Max(marks.Low.Value, 0);
            metrics.Lag(partition.Partition.Value, Math.Max(0, marks.High.Value - next));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Topic} (replay unread partitions from the beginning: {Replay})")]
    private partial void LogSubscribed(string topic, bool replay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consume error {Code}: {Reason}")]
    private partial void LogConsumeError(ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer closed in {Elapsed} ms: applied offsets committed, group left")]
    private partial void LogClosed(long elapsed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer close failed ({Code}: {Reason}); offsets not committed are read again")]
    private partial void LogCloseFailed(ErrorCode code, string reason);
}
