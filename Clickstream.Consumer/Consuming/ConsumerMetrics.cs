using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Clickstream.Consumer.Consuming;

/// <summary>The consumer's OpenTelemetry instruments (meter <c>Clickstream.Consumer</c>).</summary>
public sealed class ConsumerMetrics
{
    public const string MeterName = "Clickstream.Consumer";
    private const string PartitionTag = "messaging.destination.partition.id";

    private readonly Counter<long> _applied;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _malformed;
    private readonly Counter<long> _lost;
    private readonly Histogram<double> _freshness;
    private readonly ConcurrentDictionary<int, long> _lag = new();

    public ConsumerMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _applied = meter.CreateCounter<long>("consumer.events.applied", "{event}", "Events counted in the aggregates.");
        _duplicates = meter.CreateCounter<long>("consumer.events.duplicates", "{event}", "Redelivered events dropped by event id.");
        _malformed = meter.CreateCounter<long>("consumer.events.malformed", "{event}", "Messages that are not access-log lines, skipped.");
        _lost = meter.CreateCounter<long>("consumer.events.lost", "{event}", "Events the broker dropped before they were read (offset reset).");
        _freshness = meter.CreateHistogram<double>("consumer.freshness", "ms", "From the hit's time to being applied, per partition.");
        meter.CreateObservableGauge("consumer.partition.lag", ObserveLag, "{message}",
            "Per assigned partition: high watermark minus the next offset this consumer applies.");
    }

    /// <summary>An applied event; <paramref name="freshness"/> is null when the line had no time.</summary>
    public void Applied(int partition, TimeSpan? freshness)
    {
        _applied.Add(1);
        if (freshness is { } f && _freshness.Enabled)
        {
            _freshness.Record(f.TotalMilliseconds, new KeyValuePair<string, object?>(PartitionTag, partition));
        }
    }

    public void Duplicate() => _duplicates.Add(1);

    public void Malformed() => _malformed.Add(1);

    public void Lost(long count) => _lost.Add(count);

    public void Lag(int partition, long lag) => _lag[partition] = lag;

    public void Unassigned(int partition) => _lag.TryRemove(partition, out _);

    public IReadOnlyDictionary<int, long> CurrentLag => _lag;

    private IEnumerable<Measurement<long>> ObserveLag() =>
        _lag.Select(p => new Measurement<long>(p.Value, new TagList { { PartitionTag, p.Key } }));
}
