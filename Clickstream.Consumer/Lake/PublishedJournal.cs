using System.Text.Json;

namespace Clickstream.Consumer.Lake;

/// <summary>
/// The lake's note of the files it published lately (<c>_staging/published.json</c>): each file's name, the
/// newest checkpoint whose events it holds, and per partition the last offset in it. An entry is written before
/// its file is published, so a file is never visible without one. After a fallback to an older checkpoint, the
/// files published beyond it tell which of the events read again are already in the lake.
/// </summary>
internal sealed class PublishedJournal(ILakeStore store)
{
    public const string Name = EventLake.StagingDirectory + "/published.json";

    // Far more checkpoints than any store keeps to fall back to; older entries can no longer matter.
    private const long Horizon = 100;

    private List<PublishedFile>? _files;

    public void Add(PublishedFile file, long committed)
    {
        var files = Load();
        files.RemoveAll(f => f.Last < committed - Horizon || f.File == file.File);
        files.Add(file);
        store.Write(Name, stream => JsonSerializer.Serialize(stream, new JournalDocument(1, files)));
    }

    /// <summary>
    /// Per hour folder (<c>site=…/date=…/hour=…</c>) and partition, the last offset of the published files that hold
    /// events of checkpoints after <paramref name="sequence"/>; each event of that hour and partition up to that
    /// offset is in the lake already.
    /// </summary>
    public Dictionary<string, Dictionary<int, long>> PublishedAfter(long sequence)
    {
        var result = new Dictionary<string, Dictionary<int, long>>(StringComparer.Ordinal);
        foreach (var file in Load().Where(f => f.Last > sequence && store.Exists(f.File)))
        {
            var hour = file.File[..file.File.LastIndexOf('/')];
            var last = result.TryGetValue(hour, out var known) ? known : result[hour] = [];
            foreach (var (partition, offset) in file.LastOffsets)
            {
                last[partition] = Math.Max(offset, last.GetValueOrDefault(partition, -1));
            }
        }

        return result;
    }

    /// <summary>The files noted in <paramref name="folder"/> (<c>site=…/date=…/hour=…</c>), the newest first.</summary>
    public IEnumerable<PublishedFile> In(string folder) =>
        Load().Where(f => f.File.StartsWith(folder + "/", StringComparison.Ordinal)).OrderByDescending(f => f.Last);

    private List<PublishedFile> Load()
    {
        if (_files is null)
        {
            var bytes = store.Read(Name);
            try
            {
                _files = bytes is null ? [] : JsonSerializer.Deserialize<JournalDocument>(bytes)?.Files ?? [];
            }
            catch (JsonException)
            {
                // Written atomically, so only a hand-edited note gets here: without it a fallback may write events again.
                _files = [];
            }
        }

        return _files;
    }

    private sealed record JournalDocument(int Version, List<PublishedFile> Files);
}

/// <param name="File">The published file's name in the lake.</param>
/// <param name="Last">The newest checkpoint whose events it holds.</param>
/// <param name="LastOffsets">Per partition, the last offset among its events.</param>
internal sealed record PublishedFile(string File, long Last, Dictionary<int, long> LastOffsets);
