using System.Text;
using Clickstream.ServiceDefaults.Kafka;
using Clickstream.Shipper.DeadLetters;
using Confluent.Kafka;
using Microsoft.Extensions.Options;

namespace Clickstream.Shipper.Delivery;

/// <summary>
/// Sends lines with <c>Produce</c> and a delivery handler (not an awaited call per line). A line counts
/// as shipped only when the broker acknowledged it (acks=all); a failed delivery is sent again with
/// backoff, forever or up to <see cref="ShipperOptions.MaxDeliveryAttempts"/>, then dead-lettered.
/// </summary>
public sealed partial class KafkaSender(
    IProducer<byte[]?, byte[]> producer,
    KafkaProducerSettings kafka,
    IOptions<ShipperOptions> options,
    InFlightWindow window,
    DeadLetterWriter deadLetters,
    ShipperMetrics metrics,
    TimeProvider time,
    ILogger<KafkaSender> logger)
{
    public const string EventIdHeader = "event-id";
    public const string TraceParentHeader = "traceparent";

    private readonly ShipperOptions _options = options.Value;
    private readonly string _topic = kafka.Topic;
    private readonly bool _copyToStdout = options.Value.CopyToStdout;
    private readonly Stream _stdout = options.Value.CopyToStdout ? Console.OpenStandardOutput() : Stream.Null;
    private long _lastAcknowledged = time.GetTimestamp();
    private long _lastDeliveryFailure;

    /// <summary>When the broker last acknowledged a line (a <see cref="TimeProvider"/> timestamp).</summary>
    public long LastAcknowledged => Interlocked.Read(ref _lastAcknowledged);

    /// <summary>When a line last ran out of delivery attempts; 0 if never.</summary>
    public long LastDeliveryFailure => Interlocked.Read(ref _lastDeliveryFailure);

    /// <summary>Waits for room in the in-flight window, then sends.</summary>
    public async ValueTask SendAsync(ShipLine line, CancellationToken cancellationToken)
    {
        await window.WaitAsync(line.Value.Length, cancellationToken);
        line.Tracker.Sent(line.EndOffset);
        if (_copyToStdout)
        {
            lock (_stdout)
            {
                _stdout.Write(line.Value);
                _stdout.Write("\n"u8);
            }
        }

        Produce(line);
    }

    private void Produce(ShipLine line)
    {
        line.Attempts++;
        line.SentTimestamp = time.GetTimestamp();
        var message = new Message<byte[]?, byte[]>
        {
            Key = line.Key,
            Value = line.Value,
            Headers = [new Header(EventIdHeader, line.EventId)],
        };
        try
        {
            producer.Produce(_topic, message, report => OnDelivered(line, report.Error));
            metrics.Sent();
        }
        catch (ProduceException<byte[]?, byte[]> ex)
        {
            // Local refusal (queue full, message too large): handled like a failed delivery.
            OnDelivered(line, ex.Error);
        }
    }

    private void OnDelivered(ShipLine line, Error error)
    {
        if (!error.IsError)
        {
            Interlocked.Exchange(ref _lastAcknowledged, time.GetTimestamp());
            metrics.Acknowledged(time.GetElapsedTime(line.SentTimestamp));
            Complete(line);
            return;
        }

        if (_options.MaxDeliveryAttempts > 0 && line.Attempts >= _options.MaxDeliveryAttempts || IsPermanent(error.Code))
        {
            LogDeliveryGaveUp(line.File, line.Offset, line.Attempts, error.Reason);
            deadLetters.Write("delivery_failed", $"{error.Code}: {error.Reason} after {line.Attempts} attempts",
                line.File, line.Offset, line.EndOffset - line.Offset, line.Value);
            Interlocked.Exchange(ref _lastDeliveryFailure, time.GetTimestamp());
            Complete(line);
            return;
        }

        metrics.Retried();
        var backoff = TimeSpan.FromTicks(Math.Min(
            _options.RetryBackoff.Ticks * (1L << Math.Min(line.Attempts - 1, 20)),
            _options.MaxRetryBackoff.Ticks));
        if (line.Attempts == 1 || line.Attempts % 10 == 0)
        {
            LogDeliveryRetry(line.File, line.Offset, line.Attempts, error.Reason, backoff);
        }

        // Off librdkafka's delivery thread: the retry waits on a timer, then produces again.
        _ = RetryLaterAsync(line, backoff);
    }

    private async Task RetryLaterAsync(ShipLine line, TimeSpan backoff)
    {
        await Task.Delay(backoff, time);
        Produce(line);
    }

    private void Complete(ShipLine line)
    {
        line.Tracker.Acknowledged(line.EndOffset);
        window.Release(line.Value.Length);
    }

    /// <summary>Errors no retry can mend: the message itself is refused.</summary>
    private static bool IsPermanent(ErrorCode code) => code is ErrorCode.MsgSizeTooLarge
        or ErrorCode.InvalidMsg or ErrorCode.InvalidRecord;

    /// <summary>Finishes what is in flight; called on shutdown before the last checkpoint.</summary>
    public void Flush(TimeSpan timeout) => producer.Flush(timeout);

    public static byte[] EventId(string fileIdentity, long generation, long offset) =>
        Encoding.ASCII.GetBytes($"{fileIdentity}:{generation}:{offset}");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery of {File}@{Offset} failed (attempt {Attempt}): {Reason}; retrying in {Backoff}")]
    private partial void LogDeliveryRetry(string file, long offset, int attempt, string reason, TimeSpan backoff);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivery of {File}@{Offset} failed {Attempts} times ({Reason}); dead-lettered")]
    private partial void LogDeliveryGaveUp(string file, long offset, int attempts, string reason);
}
