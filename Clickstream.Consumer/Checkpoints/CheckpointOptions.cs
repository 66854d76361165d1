namespace Clickstream.Consumer.Checkpoints;

/// <summary>Where and how often the consumer's state is checkpointed with the offsets it reflects.</summary>
public sealed class CheckpointOptions
{
    public const string SectionName = "Checkpoints";

    /// <summary>
    /// The local directory for checkpoints (the AppHost sets one under its data directory). Unset: the
    /// state lives in memory only and a restart replays the topic (<c>Consumer:ReplayOnStart</c>).
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>How often the state is captured while events are applied (and once more at shutdown).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Checkpoints kept: the newest, and older ones to fall back to when the newest is unreadable.</summary>
    public int Keep { get; set; } = 3;

    public bool Enabled => !string.IsNullOrWhiteSpace(Directory);
}
