using Clickstream.ServiceDefaults.Files;

namespace Clickstream.Consumer.Checkpoints;

/// <summary>
/// Checkpoints as files in one directory, each written with <see cref="AtomicFile"/>, so a reader sees the old file
/// or the complete new one. Temporary files a crash left behind are ignored by <see cref="List"/> and removed on the
/// next write.
/// </summary>
public sealed class DirectoryCheckpointStore : ICheckpointStore
{
    private readonly string _directory;

    public DirectoryCheckpointStore(string directory)
    {
        _directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(_directory);
    }

    public string Location => _directory;

    public IReadOnlyList<string> List() =>
        [.. Directory.EnumerateFiles(_directory).Select(Path.GetFileName).OfType<string>().Where(n => !n.EndsWith(AtomicFile.TemporarySuffix, StringComparison.Ordinal))];

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
        foreach (var stale in Directory.EnumerateFiles(_directory, "*" + AtomicFile.TemporarySuffix))
        {
            File.Delete(stale);
        }

        AtomicFile.Write(Path.Combine(_directory, name), file => file.Write(data.Span));
    }

    public void Delete(string name) => File.Delete(Path.Combine(_directory, name));
}
