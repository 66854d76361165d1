using Clickstream.Consumer.Storage;

namespace Clickstream.Consumer.Lake;

/// <summary>Where the hourly Parquet files go (section <c>Lake</c>): a local directory, or a Blob Storage / ADLS Gen2 container.</summary>
public sealed class LakeOptions
{
    public const string SectionName = "Lake";

    /// <summary>The lake's root (the AppHost sets one under its data directory); unset, and no container: no lake. Needs checkpoints.</summary>
    public string? Directory { get; set; }

    /// <summary>An hour is published this long after it ends (its late events still join it).</summary>
    public TimeSpan CloseAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Azure Blob Storage (or ADLS Gen2) instead of the directory: a connection string (a secret: never logged), or
    /// the account's blob endpoint (<c>https://ACCOUNT.blob.core.windows.net</c>) reached with Entra ID.
    /// </summary>
    public string? BlobConnectionString { get; set; }

    public Uri? BlobServiceUri { get; set; }

    /// <summary>The container (on ADLS Gen2: the file system that <c>abfss://CONTAINER@ACCOUNT.dfs.core.windows.net/</c> names).</summary>
    public string BlobContainer { get; set; } = "lake";

    public bool UsesBlob => !string.IsNullOrWhiteSpace(BlobConnectionString) || BlobServiceUri is not null;

    public bool Enabled => UsesBlob || !string.IsNullOrWhiteSpace(Directory);

    /// <summary>The store these options name; null when the lake is off.</summary>
    public ILakeStore? CreateStore()
    {
        if (!UsesBlob)
        {
            return Enabled ? new DirectoryLakeStore(Directory!) : null;
        }

        return new BlobLakeStore(BlobContainers.Open(BlobConnectionString, BlobServiceUri, BlobContainer));
    }
}
