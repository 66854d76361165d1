namespace Clickstream.Consumer.Checkpoints;

/// <summary>
/// Checkpoints as files in one directory, written as Vector and the shipper do: a temporary file, fsync,
/// rename over the name (atomic on POSIX), so a reader sees the old file or the complete new one.
/// Temporary files a crash left behind are ignored by <see cref="List"/> and removed on the next write.
/// </summary>
public sealed class DirectoryCheckpointStore : ICheckpointStore
{
    private const string TemporarySuffix = ".tmp";
    private readonly string _directory;

    public DirectoryCheckpointStore(string directory)
    {
        _directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(_directory);
    }

    public string Location => _directory;

    public IReadOnlyList<string> List() =>
        [.. Directory.EnumerateFiles(_directory).Select(Path.GetFileName).OfType<string>().Where(n => !n.EndsWith(TemporarySuffix, StringComparison.Ordinal))];

    public byte[]? Read(string name)
    {
        try
        {
            return File.ReadAllBytes(Path.Combine(_directory, name));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    public void Write(string name, ReadOnlyMemory<byte> data)
    {
        foreach (var stale in Directory.EnumerateFiles(_directory, "*" + TemporarySuffix))
        {
            File.Delete(stale);
        }

        var path = Path.Combine(_directory, name);
        var temporary = path + TemporarySuffix;
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            file.Write(data.Span);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    public void Delete(string name) => File.Delete(Path.Combine(_directory, name));
}
