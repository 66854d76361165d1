using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Clickstream.Shipper;

/// <summary>Where to start in a file the shipper has never seen.</summary>
public enum StartPosition
{
    /// <summary>Ship the whole file (the default: nothing written before the shipper started is lost).</summary>
    Head,

    /// <summary>Ship only what is appended from now on.</summary>
    Tail,
}

/// <summary>The shipper's configuration, bound from the <c>Shipper</c> section (appsettings, environment, command line).</summary>
public sealed class ShipperOptions
{
    public const string SectionName = "Shipper";

    /// <summary>The pattern used when <see cref="Paths"/> is empty: the pixel's default log directory.</summary>
    public const string DefaultPath = "../.data/logs/*.log";

    /// <summary>
    /// Files to tail: paths or globs (<c>*</c> and <c>?</c> in the file name), e.g. <c>/var/log/nginx/access*.log</c>.
    /// Empty by default and filled with <see cref="DefaultPath"/> after binding: the configuration binder
    /// appends to a list it finds, so a default here would be tailed besides the configured paths.
    /// </summary>
    public List<string> Paths { get; set; } = [];

    public StartPosition StartAt { get; set; } = StartPosition.Head;

    /// <summary>Checkpoints and the dead-letter file live here.</summary>
    [Required]
    public string StateDirectory { get; set; } = "../.data/shipper";

    /// <summary>Longer lines go to the dead-letter file. Event Hubs refuses events over 1 MB.</summary>
    [Range(64, 64 * 1024 * 1024)]
    public int MaxLineBytes { get; set; } = 1_000_000;

    /// <summary>How often a file at its end is looked at again, and globs are re-expanded.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>A partial last line (no newline yet) is shipped after this idle time when set; by default it waits for its newline.</summary>
    public TimeSpan? PartialLineTimeout { get; set; }

    /// <summary>
    /// The bounded buffer between the tails and the sender holds at most this many batches of read lines (one read of a
    /// file each, up to 512 lines); full, it makes the tails wait. It only smooths the hand-off: the in-flight window
    /// below is what holds lines while the broker is slow.
    /// </summary>
    [Range(1, 100_000)]
    public int BufferBatches { get; set; } = 16;

    /// <summary>
    /// At most this many lines are sent and not yet checkpointable (unacknowledged, or acknowledged behind one that
    /// is not); the sender waits beyond it, the buffer fills and reading pauses. 20,000 covers
    /// 400,000 lines/s at a 50 ms round trip; a larger window mostly keeps more lines alive across
    /// garbage collections (bench/shipper.sh: 100,000 cost about 2 µs more CPU per line).
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxInFlightMessages { get; set; } = 20_000;

    /// <summary>At most this many bytes are sent and not yet checkpointable; the sender waits beyond it.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxInFlightBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>
    /// A line whose delivery the producer reported failed this many times is dead-lettered; 0 sends it again forever.
    /// A full local producer queue is not a failed delivery (sending waits for room).
    /// </summary>
    [Range(0, int.MaxValue)]
    public int DeadLetterAfterFailedDeliveries { get; set; }

    /// <summary>First wait before a line whose delivery failed is sent again; doubles up to <see cref="MaxRedeliveryBackoff"/>.</summary>
    public TimeSpan RedeliveryBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxRedeliveryBackoff { get; set; } = TimeSpan.FromSeconds(10);

    // The old names of the three options above, still read so existing configurations keep their meaning.
    [EditorBrowsable(EditorBrowsableState.Never)]
    public int MaxDeliveryAttempts { get => DeadLetterAfterFailedDeliveries; set => DeadLetterAfterFailedDeliveries = value; }

    [EditorBrowsable(EditorBrowsableState.Never)]
    public TimeSpan RetryBackoff { get => RedeliveryBackoff; set => RedeliveryBackoff = value; }

    [EditorBrowsable(EditorBrowsableState.Never)]
    public TimeSpan MaxRetryBackoff { get => MaxRedeliveryBackoff; set => MaxRedeliveryBackoff = value; }

    /// <summary>Unhealthy when lines wait and nothing was acknowledged for this long.</summary>
    public TimeSpan StalledAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often acknowledged positions are written to disk.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A file renamed away (rotation) is still read this long after it was last found at its end, for a
    /// writer that has not reopened its log yet (Fluentd's <c>rotate_wait</c>).
    /// </summary>
    public TimeSpan RotateWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Lines without a <c>traceparent</c> field get a "ship" span as the root of a new trace (one trace per
    /// line). Off, only lines that carry a trace continue it, and untraced lines cost no span at all.
    /// </summary>
    public bool TraceUntracedLines { get; set; } = true;

    /// <summary>
    /// On SIGTERM, keep reading every file to its end (new files too) before the last flush and checkpoint, instead
    /// of stopping at once. For a log directory that goes away with the process (a Container App replica's EmptyDir
    /// volume): what is not shipped by then is lost. A file is done once the pixel's closed marker is seen in its
    /// directory (<c>AccessLogFiles.WriterClosedMarker</c>) and it is read to the end, or once it stayed
    /// unchanged for <see cref="DrainQuietPeriod"/> (another writer, such as nginx).
    /// </summary>
    public bool DrainOnStop { get; set; }

    /// <summary>With <see cref="DrainOnStop"/>: a file without the closed marker is done after this long at its end.</summary>
    public TimeSpan DrainQuietPeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// With <see cref="DrainOnStop"/>: reading, acknowledgements and the last checkpoint all end within this time
    /// after SIGTERM (the host's shutdown timeout is raised to fit). Keep it below the platform's grace period.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Also write every shipped line to standard output (Fluentd's <c>@type copy</c> + <c>stdout</c>).</summary>
    public bool CopyToStdout { get; set; }
}
