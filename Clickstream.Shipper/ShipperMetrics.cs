using System.Diagnostics;
using System.Diagnostics.Metrics;
using Clickstream.Shipper.Stats;

namespace Clickstream.Shipper;

/// <summary>
/// The shipper's OpenTelemetry instruments (meter <c>Clickstream.Shipper</c>), plus totals since start
/// for <c>GET /stats</c> and the tests. Every count is one <see cref="Interlocked"/> add and one
/// instrument add: cheap enough for the per-line path.
/// </summary>
public sealed class ShipperMetrics
{
    public const string MeterName = "Clickstream.Shipper";
    public static readonly ActivitySource ActivitySource = new(MeterName);

    private readonly Counter<long> _read;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _acknowledged;
    private readonly Counter<long> _retried;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _repaired;
    private readonly Counter<long> _skipped;
    private readonly Counter<long> _truncated;
    private readonly Counter<long> _grewAgain;
    private readonly Histogram<double> _deliveryLatency;
    private readonly LatencyHistogram _latency = new();
    private long _readTotal;
    private long _sentTotal;
    private long _acknowledgedTotal;
    private long _retriedTotal;
    private long _deadLetteredTotal;
    private long _repairedTotal;
    private long _skippedTotal;
    private long _truncatedTotal;
    private long _grewAgainTotal;

    public ShipperMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _read = meter.CreateCounter<long>("shipper.lines.read", "{line}", "Complete lines read from the logs.");
        _sent = meter.CreateCounter<long>("shipper.lines.sent", "{line}", "Lines handed to the Kafka producer (retries included).");
        _acknowledged = meter.CreateCounter<long>("shipper.lines.acknowledged", "{line}", "Lines the broker acknowledged.");
        _retried = meter.CreateCounter<long>("shipper.lines.retried", "{line}", "Deliveries that failed and were sent again.");
        _deadLettered = meter.CreateCounter<long>("shipper.lines.dead_lettered", "{line}", "Lines written to the dead-letter file, by reason.");
        _repaired = meter.CreateCounter<long>("shipper.lines.repaired", "{line}", "Lines whose invalid UTF-8 was replaced by U+FFFD.");
        _skipped = meter.CreateCounter<long>("shipper.lines.skipped", "{line}", "Empty lines, not hits.");
        _truncated = meter.CreateCounter<long>("shipper.files.truncated", "{file}", "Files that shrank below their checkpoint (copytruncate).");
        _grewAgain = meter.CreateCounter<long>("shipper.files.grew_again", "{file}",
            "Rotated files that grew after they were parked, because their writer did not reopen its log; read again from their checkpoint.");
        _deliveryLatency = meter.CreateHistogram<double>("shipper.delivery.duration", "ms", "From send to the broker's acknowledgement.");
        meter.CreateObservableGauge("shipper.backlog.bytes", () => Backlog?.Invoke() ?? [], "By", "Bytes of each file not yet acknowledged.");
        meter.CreateObservableGauge("shipper.lines.in_flight", () => InFlight?.Invoke() ?? 0, "{line}", "Lines sent and not yet acknowledged.");
    }

    /// <summary>Set by the tailing coordinator: bytes behind, per file.</summary>
    public Func<IEnumerable<Measurement<long>>>? Backlog { get; set; }

    /// <summary>Set by the sender: lines sent and not yet acknowledged.</summary>
    public Func<int>? InFlight { get; set; }

    public long ReadTotal => Interlocked.Read(ref _readTotal);

    public long SentTotal => Interlocked.Read(ref _sentTotal);

    public long AcknowledgedTotal => Interlocked.Read(ref _acknowledgedTotal);

    public long RetriedTotal => Interlocked.Read(ref _retriedTotal);

    public long DeadLetteredTotal => Interlocked.Read(ref _deadLetteredTotal);

    public long RepairedTotal => Interlocked.Read(ref _repairedTotal);

    public long SkippedTotal => Interlocked.Read(ref _skippedTotal);

    public long TruncatedTotal => Interlocked.Read(ref _truncatedTotal);

    public long GrewAgainTotal => Interlocked.Read(ref _grewAgainTotal);

    /// <summary>Delivery latency quantile since start, in milliseconds.</summary>
    public double AcknowledgementLatencyMs(double quantile) => _latency.Quantile(quantile);

    public void Read()
    {
        Interlocked.Increment(ref _readTotal);
        _read.Add(1);
    }

    public void Sent()
    {
        Interlocked.Increment(ref _sentTotal);
        _sent.Add(1);
    }

    public void Acknowledged(TimeSpan latency)
    {
        Interlocked.Increment(ref _acknowledgedTotal);
        _acknowledged.Add(1);
        var ms = latency.TotalMilliseconds;
        _latency.Record(ms);
        _deliveryLatency.Record(ms);
    }

    public void Retried()
    {
        Interlocked.Increment(ref _retriedTotal);
        _retried.Add(1);
    }

    public void DeadLettered(string reason)
    {
        Interlocked.Increment(ref _deadLetteredTotal);
        _deadLettered.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }

    public void Repaired()
    {
        Interlocked.Increment(ref _repairedTotal);
        _repaired.Add(1);
    }

    public void Skipped()
    {
        Interlocked.Increment(ref _skippedTotal);
        _skipped.Add(1);
    }

    public void Truncated()
    {
        Interlocked.Increment(ref _truncatedTotal);
        _truncated.Add(1);
    }

    public void GrewAgain()
    {
        Interlocked.Increment(ref _grewAgainTotal);
        _grewAgain.Add(1);
    }
}
