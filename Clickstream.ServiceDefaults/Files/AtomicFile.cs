namespace Clickstream.ServiceDefaults.Files;

/// <summary>
/// Writes a file as Vector writes its checkpoints: a temporary file beside it, fsync, rename over the name (atomic on
/// POSIX), so a reader, or a start after a kill at any instant, sees the old file or the complete new one, never a
/// partial one. The shipper's checkpoints and the consumer's checkpoints and lake files are written with it.
/// </summary>
public static class AtomicFile
{
    /// <summary>The temporary file's suffix: a crash may leave one behind, which readers of a directory skip.</summary>
    public const string TemporarySuffix = ".tmp";

    public static void Write(string path, Action<Stream> write)
    {
        var temporary = path + TemporarySuffix;
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            write(file);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
