using System.Diagnostics.Metrics;

namespace Clickstream.Consumer.Consuming;

/// <summary>The consumer's OpenTelemetry instruments (meter <c>Clickstream.Consumer</c>).</summary>
public sealed class ConsumerMetrics
{
    public const string MeterName = "Clickstream.Consumer";

    private readonly Counter<long> _applied;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _malformed;
    private readonly Counter<long> _lost;
    private readonly Histogram<double> _freshness;

    public ConsumerMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _applied = meter.CreateCounter<long>("consumer.events.applied", "{event}", "Events counted in the aggregates.");
        _duplicates = meter.CreateCounter<long>("consumer.events.duplicates", "{event}", "Redelivered events dropped by event id.");
        _malformed = meter.CreateCounter<long>("consumer.events.malformed", "{event}", "Messages that are not access-log lines, skipped.");
        _lost = meter.CreateCounter<long>("consumer.events.lost", "{event}", "Events the broker dropped before they were read (offset reset).");
        _freshness = meter.CreateHistogram<double>("consumer.freshness", "ms", "From the hit's time (its message timestamp) to being applied.");
    }

    public void Applied(TimeSpan freshness)
    {
        _applied.Add(1);
        _freshness.Record(freshness.TotalMilliseconds);
    }

    public void Duplicate() => _duplicates.Add(1);

    public void Malformed() => _malformed.Add(1);

    public void Lost(long count) => _lost.Add(count);
}
