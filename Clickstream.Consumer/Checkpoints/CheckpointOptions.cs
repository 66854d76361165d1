using Clickstream.Consumer.Storage;

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

    /// <summary>
    /// Azure Blob Storage instead of the directory: a connection string (a secret: never logged), or the
    /// account's blob endpoint (<c>https://ACCOUNT.blob.core.windows.net</c>) reached with Entra ID
    /// (managed identity deployed, <c>az login</c> locally).
    /// </summary>
    public string? BlobConnectionString { get; set; }

    public Uri? BlobServiceUri { get; set; }

    public string BlobContainer { get; set; } = "clickstream-checkpoints";

    public bool UsesBlob => !string.IsNullOrWhiteSpace(BlobConnectionString) || BlobServiceUri is not null;

    public bool Enabled => UsesBlob || !string.IsNullOrWhiteSpace(Directory);

    /// <summary>The store these options name; null when checkpoints are off.</summary>
    public ICheckpointStore? CreateStore()
    {
        if (!UsesBlob)
        {
            return Enabled ? new DirectoryCheckpointStore(Directory!) : null;
        }

        return new BlobCheckpointStore(BlobContainers.Open(BlobConnectionString, BlobServiceUri, BlobContainer));
    }
}
