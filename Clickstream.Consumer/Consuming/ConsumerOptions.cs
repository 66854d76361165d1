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

    /// <summary>
    /// When partitions are taken away (a rebalance, or leaving the group on shutdown): how long to wait for the
    /// events already handed to the apply thread to be applied, so their offsets are stored before the next owner
    /// starts. Beyond it the partitions go anyway and the next owner reads what was not stored again (at-least-once;
    /// the event id drops the copies). The group waits for this handler, so keep it well under
    /// <c>max.poll.interval.ms</c>.
    /// </summary>
    public TimeSpan RevokeDrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When partitions are assigned: how long to wait for the broker's answer to where each starts (the group's
    /// committed offsets; with a checkpoint, each partition's end, which tells a topic that started over).
    /// Without an answer: no committed offset (the first message sets the baseline), or the checkpoint's offset.
    /// </summary>
    public TimeSpan AssignmentQueryTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Why these options cannot run, or null.</summary>
    public string? Problem() =>
        DeduplicationWindow < 1 ? "Consumer:DeduplicationWindow must be at least 1."
        : RevokeDrainTimeout <= TimeSpan.Zero ? "Consumer:RevokeDrainTimeout must be positive."
        : AssignmentQueryTimeout <= TimeSpan.Zero ? "Consumer:AssignmentQueryTimeout must be positive."
        : null;
}
