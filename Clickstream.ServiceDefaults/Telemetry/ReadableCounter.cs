using System.Diagnostics.Metrics;

namespace Clickstream.ServiceDefaults.Telemetry;

/// <summary>
/// One count that both exports (an OpenTelemetry counter of the service's meter) and can be read back, for
/// <c>GET /stats</c> and the tests: a service keeps each count in one of these instead of a total of its own
/// beside the instrument, so the two cannot disagree. An add is one interlocked add plus the instrument's
/// (nothing more when no listener is attached): cheap enough for a per-line path.
/// </summary>
public sealed class ReadableCounter(Meter meter, string name, string unit, string description)
{
    private readonly Counter<long> _instrument = meter.CreateCounter<long>(name, unit, description);
    private long _total;

    /// <summary>Everything added since start, whatever the tags.</summary>
    public long Total => Volatile.Read(ref _total);

    public void Add(long value = 1)
    {
        Interlocked.Add(ref _total, value);
        _instrument.Add(value);
    }

    public void Add(long value, KeyValuePair<string, object?> tag)
    {
        Interlocked.Add(ref _total, value);
        _instrument.Add(value, tag);
    }
}
