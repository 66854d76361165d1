using System.Diagnostics;
using System.Diagnostics.Metrics;
using Clickstream.ServiceDefaults.Telemetry;
using Clickstream.Shipper.Stats;

namespace Clickstream.Shipper;

/// <summary>
/// The shipper's OpenTelemetry instruments (meter <c>Clickstream.Shipper</c>); each count is a
/// <see cref="ReadableCounter"/>, read back as the totals since start for <c>GET /stats</c> and the tests.
/// </summary>
public sealed class ShipperMetrics
{
    public const string MeterName = "Clickstream.Shipper";
    public static readonly ActivitySource ActivitySource = new(MeterName);

    private readonly ReadableCounter _read;
    private readonly ReadableCounter _sent;
    private readonly ReadableCounter _acknowledged;
    private readonly ReadableCounter _retried;
    private readonly ReadableCounter _deadLettered;
    private readonly ReadableCounter _repaired;
    private readonly ReadableCounter _skipped;
    private readonly ReadableCounter _truncated;
    private readonly ReadableCounter _grewAgain;
    private readonly ReadableCounter _checkpointsSetAside;
    private readonly ReadableCounter _waitedForQueue;
    private readonly Histogram<double> _deliveryLatency;
    private readonly LatencyHistogram _latency = new();

    public ShipperMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _read = new ReadableCounter(meter, "shipper.lines.read", "{line}", "Complete lines read from the logs.");
        _sent = new ReadableCounter(meter, "shipper.lines.sent", "{line}", "Lines handed to the Kafka producer (retries included).");
        _acknowledged = new ReadableCounter(meter, "shipper.lines.acknowledged", "{line}", "Lines the broker acknowledged.");
        _retried = new ReadableCounter(meter, "shipper.lines.retried", "{line}", "Deliveries that failed and were sent again.");
        _deadLettered = new ReadableCounter(meter, "shipper.lines.dead_lettered", "{line}", "Lines written to the dead-letter file, by reason.");
        _repaired = new ReadableCounter(meter, "shipper.lines.repaired", "{line}", "Lines whose invalid UTF-8 was replaced by U+FFFD.");
        _skipped = new ReadableCounter(meter, "shipper.lines.skipped", "{line}", "Empty lines, not hits.");
        _truncated = new ReadableCounter(meter, "shipper.files.truncated", "{file}", "Files that shrank below their checkpoint (copytruncate).");
        _grewAgain = new ReadableCounter(meter, "shipper.files.grew_again", "{file}",
            "Rotated files that grew after they were parked, because their writer did not reopen its log; read again from their checkpoint.");
        _checkpointsSetAside = new ReadableCounter(meter, "shipper.checkpoints.set_aside", "{file}",
            "Checkpoint files found corrupt or unreadable at start-up, moved aside; their files were read again from the start.");
        _waitedForQueue = new ReadableCounter(meter, "shipper.lines.waited_for_queue", "{line}",
            "Lines that waited for room in the producer's full local queue (back-pressure, not a failed delivery).");
        _deliveryLatency = meter.CreateHistogram<double>("shipper.delivery.duration", "ms", "From send to the broker's acknowledgement.");
        meter.CreateObservableGauge("shipper.backlog.bytes", () => Backlog?.Invoke() ?? [], "By", "Bytes of each file not yet acknowledged.");
        meter.CreateObservableGauge("shipper.lines.in_flight", () => InFlight?.Invoke() ?? 0, "{line}", "Lines sent and not yet checkpointable.");
        meter.CreateObservableGauge("shipper.buffer.batches", () => Buffered?.Invoke() ?? 0, "{batch}",
            "Batches of read lines in the buffer between the tails and the sender; at Shipper:BufferBatches, reading waits.");
    }

    /// <summary>Set by the tailing coordinator: bytes behind, per file.</summary>
    public Func<IEnumerable<Measurement<long>>>? Backlog { get; set; }

    /// <summary>Set by the sender: lines sent and not yet checkpointable (what its in-flight window holds).</summary>
    public Func<int>? InFlight { get; set; }

    /// <summary>Set by the buffer: batches waiting for the sender.</summary>
    public Func<int>? Buffered { get; set; }

    public long ReadTotal => _read.Total;

    public long SentTotal => _sent.Total;

    public long AcknowledgedTotal => _acknowledged.Total;

    public long RetriedTotal => _retried.Total;

    public long DeadLetteredTotal => _deadLettered.Total;

    public long RepairedTotal => _repaired.Total;

    public long SkippedTotal => _skipped.Total;

    public long TruncatedTotal => _truncated.Total;

    public long GrewAgainTotal => _grewAgain.Total;

    public long CheckpointsSetAsideTotal => _checkpointsSetAside.Total;

    public long WaitedForQueueTotal => _waitedForQueue.Total;

    /// <summary>Delivery latency quantile since start, in milliseconds.</summary>
    public double AcknowledgementLatencyMs(double quantile) => _latency.Quantile(quantile);

    public void Read() => _read.Add();

    public void Sent() => _sent.Add();

    public void Acknowledged(TimeSpan latency)
    {
        _acknowledged.Add(1);
        var ms = latency.TotalMilliseconds;
        _latency.Record(ms);
        _deliveryLatency.Record(ms);
    }

    public void Retried() => _retried.Add();

    public void DeadLettered(string reason) => _deadLettered.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Repaired() => _repaired.Add();

    public void Skipped() => _skipped.Add();

    public void Truncated() => _truncated.Add();

    public void GrewAgain() => _grewAgain.Add();

    public void CheckpointsSetAside() => _checkpointsSetAside.Add();

    public void WaitedForQueue() => _waitedForQueue.Add();
}
