namespace Clickstream.Consumer.Checkpoints;

/// <summary>
/// Writes a file as Vector and the shipper write their checkpoints: a temporary file beside it, fsync, rename over
/// the name (atomic on POSIX), so a reader sees the old file or the complete new one, never a partial one.
/// </summary>
internal static class AtomicFile
{
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
