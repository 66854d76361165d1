using Clickstream.ServiceDefaults.Files;

namespace Clickstream.Consumer.Lake;

/// <summary>
/// The lake in a local (or mounted) directory. A file is written under a hidden temporary name in <c>_staging/</c>,
/// fsynced and renamed into place, so no reader (DuckDB's glob, Spark's listing of <c>hour=*</c>) ever sees a partial
/// one; temporary files a crash left behind are removed when the store opens.
/// </summary>
public sealed class DirectoryLakeStore : ILakeStore
{
    private readonly string _root;
    private readonly string _temporary;

    public DirectoryLakeStore(string directory)
    {
        _root = Path.GetFullPath(directory);
        _temporary = Path.Combine(_root, EventLake.StagingDirectory);
        Directory.CreateDirectory(_temporary);
        foreach (var stale in Directory.EnumerateFiles(_temporary, ".*"))
        {
            File.Delete(stale);
        }
    }

    public string Location => _root;

    public IReadOnlyList<string> List(string prefix)
    {
        // The prefix's folder part is where to look; the rest filters names.
        var folder = Path.Combine(_root, prefix[..(prefix.LastIndexOf('/') + 1)]);
        return Directory.Exists(folder)
            ? [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Where(f => !Path.GetFileName(f).StartsWith('.'))
                .Select(f => Path.GetRelativePath(_root, f).Replace(Path.DirectorySeparatorChar, '/'))
                .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))]
            : [];
    }

    public byte[]? Read(string name)
    {
        try
        {
            return File.ReadAllBytes(PathOf(name));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public bool Exists(string name) => File.Exists(PathOf(name));

    public void Write(string name, Action<Stream> write, Action? beforePublish = null)
    {
        var path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var staged = Path.Combine(_temporary, $".{Guid.NewGuid():N}");
        try
        {
            AtomicFile.Write(staged, write);
            beforePublish?.Invoke();
            File.Move(staged, path, overwrite: true);
        }
        finally
        {
            File.Delete(staged);
            File.Delete(staged + AtomicFile.TemporarySuffix);
        }
    }

    public void Delete(string name) => File.Delete(PathOf(name));

    private string PathOf(string name) => Path.Combine(_root, name.Replace('/', Path.DirectorySeparatorChar));
}
