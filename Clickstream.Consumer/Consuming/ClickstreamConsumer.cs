using System.Diagnostics;
using System.Threading.Channels;
using Clickstream.Consumer.Checkpoints;
using Clickstream.Consumer.Sink;
using Clickstream.Consumer.Stats;
using Clickstream.Contracts;
using Clickstream.ServiceDefaults.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.Options;

namespace Clickstream.Consumer.Consuming;

/// <summary>
/// The consumer: at-least-once (an offset is stored only after its event was applied; the client
/// commits stored offsets), duplicates dropped by the shipper's event id, malformed messages counted
/// and skipped, gaps in offsets (the broker dropped data we had not read) counted as lost, each apply
/// traced as a child of the shipper's span, and per-partition lag measured once a second. Two threads:
/// the consume thread only polls the client and hands messages over a bounded buffer; the apply thread
/// deduplicates, parses, aggregates and stores offsets (<see cref="PendingOffsets"/>).
/// </summary>
public sealed partial class ClickstreamConsumer(
    IConsumer<byte[]?, byte[]> consumer,
    KafkaConsumerSettings settings,
    IOptions<ConsumerOptions> options,
    LiveStats stats,
    RecentEvents recent,
    HourlyJsonlSink sink,
    OffsetGapDetector gaps,
    PendingOffsets pending,
    DeduplicationWindow seen,
    StateCheckpointer checkpoints,
    Lake.EventLake lake,
    ConsumerMetrics metrics,
    ConsumeRefusals refusals,
    TimeProvider time,
    ILogger<ClickstreamConsumer> logger) : BackgroundService
{
    public const string ActivitySourceName = "Clickstream.Consumer";
    private static readonly ActivitySource Source = new(ActivitySourceName);

    private readonly StringPool _strings = new(); // the consume thread's: it parses, the apply thread applies

    /// <summary>A message and its parsed line (null: malformed), as handed to the apply thread.</summary>
    private readonly record struct Received(ConsumeResult<byte[]?, byte[]> Result, ClickEvent? Click);

    private long _nextLagCheck;

    // Consume thread → bounded buffer → apply thread: the client's per-message cost and ours run on
    // two cores instead of one. Messages travel in batches (up to BatchSize, or what arrived within
    // BatchLinger), so the apply thread is woken per batch, not per message. Full buffer: the consume
    // thread waits (back-pressure, nothing dropped).
    private const int BatchSize = 512;
    private const int BufferedBatches = 32;
    private static readonly TimeSpan BatchLinger = TimeSpan.FromMilliseconds(5);
    private readonly Channel<List<Received>> _buffer = Channel.CreateBounded<List<Received>>(
        new BoundedChannelOptions(BufferedBatches)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
            AllowSynchronousContinuations = true,
        });

    // Both loops block, so each has a thread of its own: on a 2-core box the thread pool starts with two
    // threads, and two loops parked on them starve everything else (and each other's wake-ups).
    // Synchronous continuations let each side wake the other directly, without the pool.
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Before the first assignment, which seeks to the restored offsets; synchronous, so the API
        // never serves the empty state of a process that is about to load its history.
        if (lake.Enabled)
        {
            stats.Sites.Observer = lake;
        }

        checkpoints.Restore();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var applyThread = new Thread(() => ApplyLoop(stoppingToken)) { IsBackground = true, Name = "clickstream-apply" };
        var consumeThread = new Thread(() =>
        {
            try
            {
                ConsumeLoop(applyThread, stoppingToken);
                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        }) { IsBackground = true, Name = "clickstream-consume" };
        applyThread.Start();
        consumeThread.Start();
        return done.Task;
    }

    private void ConsumeLoop(Thread applying, CancellationToken stoppingToken)
    {
        consumer.Subscribe(settings.Topic);
        LogSubscribed(settings.Topic, options.Value.ReplayOnStart);
        var batch = new List<Received>(BatchSize);
        var batchStarted = 0L;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ConsumeResult<byte[]?, byte[]>? result;
                try
                {
                    // Block only when nothing waits to be handed over.
                    result = consumer.Consume(batch.Count == 0 ? TimeSpan.FromMilliseconds(250) : TimeSpan.Zero);
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

                    // Parsing here splits the per-message work about evenly between the two threads.
                    batch.Add(new Received(result, result.Message.Value is { } value ? ClickEvent.Parse(value, _strings) : null));
                }

                if (batch.Count >= BatchSize || (batch.Count > 0 && (result is null || Environment.TickCount64 - batchStarted >= BatchLinger.TotalMilliseconds)))
                {
                    HandOver(batch, stoppingToken);
                    batch = new List<Received>(BatchSize);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // The apply thread drops what is still buffered when stopping (see ApplyLoop) and ends once the
            // buffer is complete; then the offsets of what was applied are stored, committed by the close.
            if (batch.Count > 0 && _buffer.Writer.TryWrite(batch))
            {
                pending.Enqueued(batch.Count);
            }

            _buffer.Writer.TryComplete();
            applying.Join();
            pending.Store(consumer);
            Close();
        }
    }

    /// <summary>
    /// Commits the stored offsets and leaves the group. With the group coordinator unreachable librdkafka
    /// blocks here until the session times out, and that is the bound: session.timeout.ms (6 s in
    /// appsettings.json; 45 s is librdkafka's default, so keep it set). A shorter wait on another thread
    /// would not shorten the exit: the container's disposal of the client (rd_kafka_destroy) waits for the
    /// same group termination, and destroying the client while the close still runs is unsafe.
    /// </summary>
    private void Close()
    {
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

    /// <summary>
    /// Counted when handed over: a revocation waits for these to be applied. Messages still in the
    /// loop's batch are applied afterwards; storing their offsets then fails for a revoked partition,
    /// so its next owner reads them again (at-least-once).
    /// </summary>
    private void HandOver(List<Received> batch, CancellationToken stoppingToken)
    {
        if (!_buffer.Writer.TryWrite(batch))
        {
            _buffer.Writer.WriteAsync(batch, stoppingToken).AsTask().GetAwaiter().GetResult();
        }

        // Counted only once in the buffer: stopping while the buffer is full cancels the write, and a batch
        // counted but never applied made the revocation in Close() wait its full 30 s for it. Counting after
        // the apply thread may already have applied it is fine: only this thread waits on the counts.
        pending.Enqueued(batch.Count);
    }

    private void ApplyLoop(CancellationToken stoppingToken)
    {
        var reader = _buffer.Reader;
        Task<bool>? waiting = null;
        while (true)
        {
            if (!reader.TryPeek(out _))
            {
                // Idle: the last events are checkpointed within an interval even when no more arrive.
                checkpoints.CaptureIfDue();
                waiting ??= reader.WaitToReadAsync(CancellationToken.None).AsTask();
                if (!waiting.Wait(checkpoints.Enabled ? checkpoints.Interval : Timeout.InfiniteTimeSpan, CancellationToken.None))
                {
                    continue;
                }

                var more = waiting.Result;
                waiting = null;
                if (!more)
                {
                    break;
                }
            }

            while (reader.TryRead(out var batch))
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    if (stoppingToken.IsCancellationRequested)
                    {
                        // Stopping: what is still buffered is dropped, not applied. Applying it would take as
                        // long as the buffer is deep (up to 16k events; seconds with tracing on, after an
                        // outage left a backlog) and hold up the last checkpoint. Its offsets are neither
                        // stored nor checkpointed, so it is read again.
                        pending.Dropped(batch.Count - i);
                        break;
                    }

                    var (result, click) = batch[i];
                    // The client does not marshal the topic name (see AddClickstreamConsumer): one topic, ours.
                    var position = new TopicPartitionOffset(settings.Topic, result.Partition, result.Offset);
                    try
                    {
                        Apply(result, click, position, stoppingToken);
                    }
                    catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                    {
                        // Stopping while the sink was full: the event counted, its sink line is lost.
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // A bug on one message must not become a crash loop: count it, log where it is, go on.
                        stats.MalformedSkipped();
                        metrics.Malformed();
                        LogApplyFailed(ex, position.Partition.Value, position.Offset.Value);
                    }

                    checkpoints.Applied(position.Partition.Value, position.Offset.Value);
                    if (pending.Applied(position))
                    {
                        pending.Store(consumer);
                    }
                }

                checkpoints.CaptureIfDue();

                if (reader.Count == 0)
                {
                    pending.Store(consumer); // caught up: nothing applied stays unstored
                }
            }
        }

        checkpoints.Final(); // what was applied, with its offsets, before the offsets are committed and the group left
    }

    private void Apply(ConsumeResult<byte[]?, byte[]> result, ClickEvent? click, TopicPartitionOffset position, CancellationToken cancellationToken)
    {
        using var activity = StartApplyActivity(result, position);
        CheckForGap(position);
        byte[]? id = null;
        if (result.Message.Headers?.TryGetLastBytes(KafkaHeaders.EventId, out id) == true && !seen.TryAdd(id))
        {
            stats.DuplicateDropped();
            metrics.Duplicate();
            activity?.SetTag("clickstream.duplicate", true);
            return;
        }

        var value = result.Message.Value;
        if (click is null)
        {
            stats.MalformedSkipped();
            metrics.Malformed();
            activity?.SetStatus(ActivityStatusCode.Error, "malformed");
            LogMalformed(result.Partition.Value, result.Offset.Value);
            return;
        }

        if (lake.Enabled)
        {
            lake.At(result.Partition.Value, result.Offset.Value, id is null ? null : System.Text.Encoding.ASCII.GetString(id));
        }

        stats.Apply(click);
        recent.Add(value!, result.Partition.Value, result.Offset.Value);
        if (sink.Enabled && !gaps.IsReplay(position))
        {
            sink.Write(value!, cancellationToken);
        }

        metrics.Applied(result.Partition.Value, click.Time is { } hitTime ? time.GetUtcNow() - hitTime : null);
    }

    /// <summary>The "apply" span continues the shipper's trace; nothing is parsed or allocated when nobody listens.</summary>
    private static Activity? StartApplyActivity(ConsumeResult<byte[]?, byte[]> result, TopicPartitionOffset position)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        ActivityContext parent = default;
        if (result.Message.Headers?.TryGetLastBytes(KafkaHeaders.TraceParent, out var traceParent) == true)
        {
            TraceParent.TryParse(traceParent, out parent);
        }

        var activity = Source.StartActivity("apply", ActivityKind.Consumer, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.destination.name", position.Topic);
            activity.SetTag("messaging.destination.partition.id", result.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag("messaging.kafka.offset", result.Offset.Value);
        }

        return activity;
    }

    private void CheckForGap(TopicPartitionOffset position)
    {
        var lost = gaps.Observe(position);
        if (lost > 0)
        {
            stats.Lost(lost);
            metrics.Lost(lost);
            LogLost(position.Partition.Value, position.Offset.Value - lost, position.Offset.Value);
        }
    }

    /// <summary>Once a second, on the consume thread: high watermark (cached by the client from fetch responses) minus our position.</summary>
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped a malformed message at partition {Partition} offset {Offset}")]
    private partial void LogMalformed(int partition, long offset);

    [LoggerMessage(Level = LogLevel.Error, Message = "Applying the message at partition {Partition} offset {Offset} failed; skipped")]
    private partial void LogApplyFailed(Exception exception, int partition, long offset);

    [LoggerMessage(Level = LogLevel.Error, Message = "Partition {Partition} jumped from offset {Expected} to {Offset}: the broker dropped events before they were read")]
    private partial void LogLost(int partition, long expected, long offset);
}
