using System.Diagnostics;
using Clickstream.Contracts;
using Clickstream.ServiceDefaults.Kafka;
using Clickstream.Shipper.Buffering;
using Clickstream.Shipper.Checkpoints;
using Clickstream.Shipper.DeadLetters;
using Confluent.Kafka;
using Microsoft.Extensions.Options;

namespace Clickstream.Shipper.Delivery;

/// <summary>
/// The sink: takes the lines out of the <see cref="LineBuffer"/> (<see cref="RunAsync"/>), in order, and sends each
/// with <c>Produce</c> and a delivery handler (not an awaited call per line), once it has room in the in-flight window.
/// The delivery report resolves the line's finalizer: Delivered when the broker acknowledged it (acks=all), Rejected
/// (dead-lettered) when it is refused for good or failed <see cref="ShipperOptions.DeadLetterAfterFailedDeliveries"/>
/// times; Errored otherwise, and the line is sent again with backoff. A full local queue is not a failed delivery:
/// sending waits for room (back-pressure).
/// </summary>
/// <remarks>
/// The in-flight window (<see cref="InFlightWindow"/>) bounds the lines sent and not yet checkpointable; the room a
/// line holds is freed when a finalization moves its file's checkpoint over it (<see cref="FoldedLines"/>). When the
/// broker stalls, the window fills, this loop waits, the buffer fills and the tails wait: reading stops.
/// </remarks>
public sealed partial class KafkaSender
{
    public const string ShipActivityName = "ship";

    // How long to wait before handing a line over again while the producer's local queue is full: librdkafka empties
    // it in batches every few milliseconds, so a short wait keeps the reader just behind it.
    private static readonly TimeSpan QueueFullWait = TimeSpan.FromMilliseconds(5);

    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly LineBuffer _buffer;
    private readonly InFlightWindow _window;
    private readonly DeadLetterWriter _deadLetters;
    private readonly ShipperMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<KafkaSender> _logger;
    private readonly ShipperOptions _options;
    private readonly string _topic;
    private readonly bool _copyToStdout;
    private readonly bool _traceUntracedLines;
    private readonly Stream _stdout;
    private long _lastAcknowledged;
    private long _lastDeliveryFailure;
    private volatile bool _stopped;

    public KafkaSender(IProducer<byte[]?, byte[]> producer, KafkaProducerSettings kafka, IOptions<ShipperOptions> options, LineBuffer buffer,
        InFlightWindow window, DeadLetterWriter deadLetters, ShipperMetrics metrics, TimeProvider time, ILogger<KafkaSender> logger)
    {
        _producer = producer;
        _buffer = buffer;
        _window = window;
        _deadLetters = deadLetters;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _options = options.Value;
        _topic = kafka.Topic;
        _copyToStdout = _options.CopyToStdout;
        _traceUntracedLines = _options.TraceUntracedLines;
        _stdout = _copyToStdout ? Console.OpenStandardOutput() : Stream.Null;
        _lastAcknowledged = time.GetTimestamp();
        metrics.InFlight = () => window.Messages;
    }

    /// <summary>When the broker last acknowledged a line (a <see cref="TimeProvider"/> timestamp).</summary>
    public long LastAcknowledged => Interlocked.Read(ref _lastAcknowledged);

    /// <summary>When a line last ran out of delivery attempts; 0 if never.</summary>
    public long LastDeliveryFailure => Interlocked.Read(ref _lastDeliveryFailure);

    public int InFlight => _window.Messages;

    /// <summary>
    /// The sink's loop, on its own task until the buffer is completed and empty (or it is cancelled): each line waits
    /// for room in the in-flight window, then is sent; while the producer's local queue is full, it waits for room
    /// there too (back-pressure on the buffer, and so on reading), which is never a failed attempt.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = _buffer.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var batch))
                {
                    foreach (var line in batch)
                    {
                        var room = _window.WaitAsync(line.Value.Length, cancellationToken);
                        if (!room.IsCompletedSuccessfully)
                        {
                            await room;
                        }

                        if (!Send(line))
                        {
                            await WaitForQueueRoomAsync(line, cancellationToken);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: lines still in the buffer were never handed over; they are not finalized and are read again.
        }
    }

    // Cancelled (stopping): the line was never handed over, so it is not finalized and is read again at the next start.
    private async ValueTask WaitForQueueRoomAsync(ShipLine line, CancellationToken cancellationToken)
    {
        _metrics.WaitedForQueue();
        do
        {
            await Task.Delay(QueueFullWait, _time, cancellationToken);
        }
        while (!_stopped && !Produce(line));
    }

    /// <summary>Hands the line to the producer; false when its local queue is full and the line is not handed over yet.</summary>
    private bool Send(ShipLine line)
    {
        if (_copyToStdout)
        {
            lock (_stdout)
            {
                _stdout.Write(line.Value);
                _stdout.Write("\n"u8);
            }
        }

        if (StartActivity(line) is { } activity)
        {
            line.TraceParentHeader = TraceParent.Format(activity.TraceId, activity.SpanId, activity.ActivityTraceFlags);
            var handedOver = Produce(line);
            activity.Stop();
            return handedOver;
        }

        return Produce(line);
    }

    /// <summary>
    /// Continues the pixel's trace: a "ship" span whose parent is the line's traceparent, covering the
    /// hand-off to the producer (it ends there: a span kept until the acknowledgement outlives garbage
    /// collections and cost 3 µs a line; the delivery latency is the <c>shipper.delivery.duration</c>
    /// histogram). Only when a listener samples it; otherwise the line's own traceparent travels on.
    /// </summary>
    private Activity? StartActivity(ShipLine line)
    {
        if (!ShipperMetrics.ActivitySource.HasListeners() || (line.TraceParent is null && !_traceUntracedLines))
        {
            return null;
        }

        var previous = Activity.Current;
        if (previous is not null)
        {
            Activity.Current = null; // the span's parent is the line, not whatever this thread runs under
        }

        // The inspector kept only a valid traceparent; without one the span starts a trace.
        TraceParent.TryParse(line.TraceParent, out var parent);
        var activity = ShipperMetrics.ActivitySource.StartActivity(ShipActivityName, ActivityKind.Producer, parent);
        Activity.Current = previous;
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.destination.name", _topic);
            activity.SetTag("clickstream.file", line.File);
        }

        return activity;
    }

    /// <summary>One attempt; false (and no attempt counted) when the producer's local queue is full.</summary>
    private bool Produce(ShipLine line)
    {
        // Counted before the hand-off: the delivery report may run on librdkafka's thread before Produce returns.
        line.Attempts++;
        line.SentTimestamp = _time.GetTimestamp();
        var headers = new Headers { { KafkaHeaders.EventId, line.EventId } };
        if ((line.TraceParentHeader ?? line.TraceParent) is { } traceParent)
        {
            headers.Add(KafkaHeaders.TraceParent, traceParent);
        }

        var message = new Message<byte[]?, byte[]> { Key = line.Key, Value = line.Value, Headers = headers };
        try
        {
            _producer.Produce(_topic, message, report => OnDelivered(line, report.Error));
            _metrics.Sent();
        }
        catch (ProduceException<byte[]?, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
        {
            // No room yet: the caller waits and hands it over again. librdkafka retries what it holds
            // (message.timeout.ms=0: until delivered), so a full queue is back-pressure, not a failure.
            line.Attempts--;
            return false;
        }
        catch (KafkaException ex)
        {
            // Any other local refusal (message too large, ...): handled like a failed delivery.
            OnDelivered(line, ex.Error);
        }
        catch (ObjectDisposedException) when (_stopped)
        {
            // Shutting down: the line stays unacknowledged and is read again at the next start.
        }

        return true;
    }

    private void OnDelivered(ShipLine line, Error error)
    {
        switch (Outcome(line, error))
        {
            case DeliveryOutcome.Delivered:
                Interlocked.Exchange(ref _lastAcknowledged, _time.GetTimestamp());
                _metrics.Acknowledged(_time.GetElapsedTime(line.SentTimestamp));
                Release(line.Finalize(DeliveryOutcome.Delivered));
                return;
            case DeliveryOutcome.Rejected:
                LogDeliveryGaveUp(line.File, line.Offset, line.Attempts, error.Reason);
                _deadLetters.Write("delivery_failed", $"{error.Code}: {error.Reason} after {line.Attempts} attempts",
                    line.File, line.Offset, line.EndOffset - line.Offset, line.Value);
                Interlocked.Exchange(ref _lastDeliveryFailure, _time.GetTimestamp());
                Release(line.Finalize(DeliveryOutcome.Rejected));
                return;
        }

        _metrics.Retried();
        var backoff = TimeSpan.FromTicks(Math.Min(
            _options.RedeliveryBackoff.Ticks * (1L << Math.Min(line.Attempts - 1, 20)),
            _options.MaxRedeliveryBackoff.Ticks));
        if (line.Attempts == 1 || line.Attempts % 10 == 0)
        {
            LogDeliveryRetry(line.File, line.Offset, line.Attempts, error.Reason, backoff);
        }

        // Off librdkafka's delivery thread: the retry waits on a timer, then produces again.
        _ = RetryLaterAsync(line, backoff);
    }

    private async Task RetryLaterAsync(ShipLine line, TimeSpan backoff)
    {
        await Task.Delay(backoff, _time);
        if (_stopped || Produce(line))
        {
            return;
        }

        await WaitForQueueRoomAsync(line, CancellationToken.None);
    }

    /// <summary>What a delivery report means: delivered; rejected for good (dead letter); or errored, to be sent again.</summary>
    private DeliveryOutcome Outcome(ShipLine line, Error error) =>
        !error.IsError ? DeliveryOutcome.Delivered
        : IsPermanent(error.Code) || _options.DeadLetterAfterFailedDeliveries > 0 && line.Attempts >= _options.DeadLetterAfterFailedDeliveries ? DeliveryOutcome.Rejected
        : DeliveryOutcome.Errored;

    /// <summary>Frees the window room of the lines a finalization moved the checkpoint over.</summary>
    private void Release(FoldedLines folded)
    {
        if (folded.Lines > 0)
        {
            _window.Release(folded.Lines, folded.Bytes);
        }
    }

    /// <summary>Errors no retry can mend: the message itself is refused.</summary>
    private static bool IsPermanent(ErrorCode code) => code is ErrorCode.MsgSizeTooLarge
        or ErrorCode.InvalidMsg or ErrorCode.InvalidRecord;

    /// <summary>Finishes what is in flight; called on shutdown before the last checkpoint. No retry starts after it.</summary>
    public void Flush(TimeSpan timeout)
    {
        _producer.Flush(timeout);
        _stopped = true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery of {File}@{Offset} failed (attempt {Attempt}): {Reason}; retrying in {Backoff}")]
    private partial void LogDeliveryRetry(string file, long offset, int attempt, string reason, TimeSpan backoff);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivery of {File}@{Offset} failed {Attempts} times ({Reason}); dead-lettered")]
    private partial void LogDeliveryGaveUp(string file, long offset, int attempts, string reason);
}
