using System.ComponentModel.DataAnnotations;

namespace Clickstream.Pixel.AccessLog;

/// <summary>Bound from the <c>AccessLog</c> section.</summary>
public sealed class AccessLogOptions
{
    public const string SectionName = "AccessLog";

    /// <summary>Directory shared with the shipper; the AppHost sets it.</summary>
    [Required]
    public string Directory { get; set; } = "logs";

    /// <summary>The live file; rotated files keep the <c>.log</c> ending so the shipper's glob still sees them.</summary>
    [Required]
    public string FileName { get; set; } = "access.log";

    /// <summary>Rotate (rename, then create) once the live file passes this size.</summary>
    [Range(4096, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Lines waiting for the disk; beyond it a hit is answered but counted as not logged.</summary>
    [Range(16, 10_000_000)]
    public int BufferLines { get; set; } = 65_536;

    /// <summary>Upper bound on how long a line waits in memory before it reaches the file.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}
