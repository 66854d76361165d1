namespace Clickstream.Consumer.Consuming;

/// <summary>The consumer's own settings (section <c>Consumer</c>); Kafka settings live under <c>Kafka:Consumer</c>.</summary>
public sealed class ConsumerOptions
{
    public const string SectionName = "Consumer";

    /// <summary>
    /// Aggregates live in memory, so a fresh process reads every partition it has not read yet from the
    /// beginning, and the event-id window makes the replay exact. Off: continue from committed offsets
    /// (totals then count only what this process saw).
    /// </summary>
    public bool ReplayOnStart { get; set; } = true;

    /// <summary>How many recent event ids are remembered to drop redeliveries.</summary>
    public int DeduplicationWindow { get; set; } = 1_000_000;

    /// <summary>Show client IP addresses in <c>/api/events/recent</c>; off: IPv4 cut to /24, IPv6 to /48.</summary>
    public bool ShowRemoteAddresses { get; set; }

    /// <summary>When set, every applied event is appended to <c>yyyy/MM/dd/HH.jsonl</c> under it, gzipped when the hour closes.</summary>
    public string? SinkDirectory { get; set; }
}
