namespace Clickstream.Consumer.Lake;

/// <summary>Where the hourly Parquet files go (section <c>Lake</c>).</summary>
public sealed class LakeOptions
{
    public const string SectionName = "Lake";

    /// <summary>The lake's root (the AppHost sets one under its data directory); unset: no lake. Needs checkpoints.</summary>
    public string? Directory { get; set; }

    /// <summary>An hour is published this long after it ends (its late events still join it).</summary>
    public TimeSpan CloseAfter { get; set; } = TimeSpan.FromMinutes(5);

    public bool Enabled => !string.IsNullOrWhiteSpace(Directory);
}
