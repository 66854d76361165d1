using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Azure;
using Clickstream.Consumer.Stats;
using Clickstream.Consumer.Stats.Sites;
using Clickstream.Contracts.Analytics;
using Microsoft.Extensions.Options;
using Parquet;
using Parquet.Serialization;

namespace Clickstream.Consumer.Lake;

/// <summary>
/// Every applied event, once, in hourly Parquet files under <c>site=…/date=…/hour=…/</c>, in a local directory or a
/// Blob Storage / ADLS Gen2 container (<see cref="ILakeStore"/>). Exactly once rides on the checkpoints: the events
/// applied between two captures are sealed with the later one and written as a staging part named by its sequence
/// (<c>_staging/site=…/date=…/hour=…/part-SEQ.parquet</c>) before that checkpoint is stored. A restart deletes the
/// parts of checkpoints it did not restore (their events are read and written again), so a part exists exactly when
/// its events are in the restored state. An hour is published once it ended <see cref="LakeOptions.CloseAfter"/>
/// ago: its parts (those of checkpoints with a successor) are merged into <c>events-FIRST-LAST.parquet</c>, named by
/// the checkpoints it covers, with the offsets it holds in its footer; the store stages the file out of sight, the
/// journal (<see cref="PublishedJournal"/>) notes it, then it is published in one step and the parts go (a crash in
/// between publishes the same name with the same rows again). When a corrupt newest checkpoint makes the consumer
/// fall back to one older than a published file, the journal says per hour and partition up to which offset the
/// events read again are in the lake already, and those are not written twice.
/// </summary>
public sealed partial class EventLake : IAppliedEventObserver
{
    public const string StagingDirectory = "_staging";
    private const string StagingPrefix = StagingDirectory + "/";
    private const string PartPrefix = "part-";
    private const string Extension = ".parquet";

    // Rows per row group of a published file: parts are merged up to this many (a reader's unit of work).
    private const int RowGroupRows = 128 * 1024;
    private const int SpareColumns = 64;

    private readonly LakeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EventLake> _logger;
    private readonly ILakeStore? _store;
    private readonly PublishedJournal? _journal;
    private readonly ConcurrentQueue<LakeColumns> _spare = new();
    private Dictionary<(string Site, long Hour), LakeColumns> _open = [];
    private LakeColumns? _current;
    private string? _currentSite;
    private long _currentHour;
    private (int Partition, long Offset, string? EventId) _position;
    private Dictionary<string, Dictionary<int, long>>? _inLake;
    private ConcurrentDictionary<int, long>? _inLakeUpTo;
    private LakeBatch? _unwritten;
    private long _published;
    private long _skipped;
    private long _publishFailures;

    public EventLake(IOptions<LakeOptions> options, TimeProvider time, ILogger<EventLake> logger, ILakeStore? store = null)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        _store = _options.Enabled ? store ?? _options.CreateStore() : null;
        _journal = _store is null ? null : new PublishedJournal(_store);
    }

    public bool Enabled => _store is not null;

    /// <summary>The directory or container, for logs (never a secret).</summary>
    public string Root => _store?.Location ?? "";

    /// <summary>Events in published files since start.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Events read again after a fallback to an older checkpoint that published files already held, so not written again.</summary>
    public long SkippedAsPublished => Interlocked.Read(ref _skipped);

    /// <summary>Publishing rounds that failed (the parts stay and the next round tries again).</summary>
    public long PublishFailures => Interlocked.Read(ref _publishFailures);

    /// <summary>Writer: the sequence of the last checkpoint that came with parts.</summary>
    public long LastPartSequence { get; private set; }

    /// <summary>Apply thread: where the next event comes from.</summary>
    public void At(int partition, long offset, string? eventId) => _position = (partition, offset, eventId);

    /// <summary>Apply thread: the event joins the columns of its site and hour.</summary>
    public void Applied(ClickEvent line, AnalyticsEvent e, ulong? visitor, SessionStep? step, DateTimeOffset at)
    {
        var time = at.UtcDateTime;
        var hour = time.Ticks - (time.Ticks % TimeSpan.TicksPerHour);
        var (partition, offset, eventId) = _position;
        if (_inLakeUpTo is { } upTo && upTo.TryGetValue(partition, out var last) && offset <= last && InLake(e.Site, hour, partition, offset))
        {
            Interlocked.Increment(ref _skipped);
            return;
        }

        if (_current is null || _currentHour != hour || !string.Equals(_currentSite, e.Site, StringComparison.Ordinal))
        {
            if (!_open.TryGetValue((e.Site, hour), out var columns))
            {
                columns = _spare.TryDequeue(out var spare) ? spare : new LakeColumns();
                _open[(e.Site, hour)] = columns;
            }

            (_current, _currentSite, _currentHour) = (columns, e.Site, hour);
        }

        _current.Add(time, e, visitor is { } v ? unchecked((long)v) : null, step, line.Code, partition, offset, eventId);
    }

    /// <summary>Apply thread, at a capture: the events applied since the previous one.</summary>
    public LakeBatch Seal()
    {
        var batch = new LakeBatch(_open);
        _open = [];
        _current = null;
        return batch;
    }

    /// <summary>
    /// At start: parts of checkpoints newer than the restored one are dropped (their events come again), and when
    /// files were published after the restored checkpoint (a fallback), what they hold is not written again.
    /// </summary>
    public void Restored(long? sequence)
    {
        if (_store is null)
        {
            return;
        }

        foreach (var part in _store.List(StagingPrefix))
        {
            if (SequenceOf(part) is not { } s)
            {
                continue;
            }

            if (sequence is null || s > sequence)
            {
                _store.Delete(part);
            }
            else if (s == sequence)
            {
                // Kept, and published once a checkpoint succeeds the restored one (the idle consumer writes one).
                LastPartSequence = s;
            }
        }

        // Without a checkpoint every offset is read again, possibly of another topic: nothing to match it with.
        if (sequence is { } restored && _journal!.PublishedAfter(restored) is { Count: > 0 } inLake)
        {
            _inLake = inLake;
            _inLakeUpTo = new(inLake.Values.SelectMany(offsets => offsets).GroupBy(o => o.Key)
                .Select(g => KeyValuePair.Create(g.Key, g.Max(o => o.Value))));
            LogFallback(inLake.Count, restored, _store.Location);
        }
    }

    /// <summary>A partition found behind its checkpoint (a new topic): its offsets say nothing about published files.</summary>
    public void Restarted(int partition) => _inLakeUpTo?.TryRemove(partition, out _);

    /// <summary>
    /// Writer: the sealed events as one part per site and hour, before checkpoint <paramref name="sequence"/> is
    /// stored. When a part fails the checkpoint is not stored, so this attempt's parts are removed and its events
    /// go with the next checkpoint's.
    /// </summary>
    public void WriteParts(long sequence, LakeBatch batch)
    {
        if (_store is null)
        {
            return;
        }

        if (_unwritten is { } earlier)
        {
            earlier.Add(batch);
            (batch, _unwritten) = (earlier, null);
        }

        var written = new List<string>();
        try
        {
            foreach (var ((site, hour), columns) in batch.Groups)
            {
                var name = $"{StagingPrefix}{HourFolder(site, hour)}/{PartPrefix}{sequence:D12}{Extension}";
                _store.Write(name, stream => columns.WriteFile(stream));
                written.Add(name);
            }
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            foreach (var name in written)
            {
                TryDelete(name);
            }

            _unwritten = batch;
            throw;
        }

        if (batch.Groups.Count > 0)
        {
            LastPartSequence = sequence;
        }

        Recycle(batch.Groups.Values);
    }

    /// <summary>Writer, after checkpoint <paramref name="committed"/> is stored: publishes every hour that is due.</summary>
    public void PublishDue(long committed)
    {
        if (_store is null)
        {
            return;
        }

        List<(string Name, long? Sequence)> parts;
        try
        {
            parts = [.. _store.List(StagingPrefix).Select(n => (Name: n, Sequence: SequenceOf(n))).Where(p => p.Sequence < committed)];
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            PublishFailed(ex, _store.Location);
            return;
        }

        var due = _time.GetUtcNow().UtcDateTime - _options.CloseAfter;
        foreach (var hour in parts.GroupBy(p => p.Name[StagingPrefix.Length..p.Name.LastIndexOf('/')], StringComparer.Ordinal))
        {
            if (HourFrom(hour.Key) is not { } start || start.AddHours(1) > due)
            {
                continue;
            }

            try
            {
                if (Unpublished(hour.Key, [.. hour.OrderBy(p => p.Sequence).Select(p => (p.Name, p.Sequence!.Value))]) is { Count: > 0 } unpublished)
                {
                    Publish(hour.Key, unpublished, committed);
                }
            }
            catch (Exception ex) when (IsStorageFailure(ex))
            {
                // Its parts stay and the next round tries again; the other hours go on.
                PublishFailed(ex, hour.Key);
            }
        }
    }

    /// <summary>A lake file's rows (tests and tools).</summary>
    internal static IList<LakeEvent> Read(string path)
    {
        using var stream = File.OpenRead(path);
        return ParquetSerializer.DeserializeAsync<LakeEvent>(stream).GetAwaiter().GetResult().Data;
    }

    /// <summary>
    /// The parts (ascending) less those a published file already holds: a publish stopped between committing its
    /// file and deleting its parts (a kill, a failed delete) left them, and merged again, with a newer part, they
    /// would make a second file of the same rows. Every part of an hour up to a published file's last checkpoint
    /// went into that file or an earlier one, so such parts are deleted.
    /// </summary>
    private List<(string Name, long Sequence)> Unpublished(string folder, List<(string Name, long Sequence)> parts)
    {
        foreach (var file in _journal!.In(folder))
        {
            if (parts[0].Sequence > file.Last)
            {
                break;
            }

            if (!_store!.Exists(file.File))
            {
                // Staged and noted, never committed: its parts are still to publish.
                continue;
            }

            var held = parts.Where(p => p.Sequence <= file.Last).ToList();
            foreach (var part in held)
            {
                _store.Delete(part.Name);
            }

            LogLeftovers(held.Count, file.File);
            return [.. parts.Where(p => p.Sequence > file.Last)];
        }

        return parts;
    }

    private void Publish(string folder, List<(string Name, long Sequence)> parts, long committed)
    {
        var (first, last) = (parts[0].Sequence, parts[^1].Sequence);
        var name = $"{folder}/events-{first:D12}-{last:D12}{Extension}";
        var offsets = new SortedDictionary<int, long[]>();
        var metadata = new Dictionary<string, string>
        {
            ["clickstream.schema"] = "1",
            ["clickstream.checkpoints"] = $"{first}-{last}",
        };
        long rows = 0;
        _store!.Write(
            name,
            stream => rows = MergeAsync(parts, stream, offsets, metadata).GetAwaiter().GetResult(),
            () => _journal!.Add(new PublishedFile(name, last, offsets.ToDictionary(o => o.Key, o => o.Value[1])), committed));
        foreach (var part in parts)
        {
            _store.Delete(part.Name);
        }

        Interlocked.Add(ref _published, rows);
        LogPublished(folder, rows, first, last);
    }

    /// <summary>The parts' rows into one file, row groups of up to <see cref="RowGroupRows"/> (memory stays one of them).</summary>
    private async Task<long> MergeAsync(List<(string Name, long Sequence)> parts, Stream stream, SortedDictionary<int, long[]> offsets, Dictionary<string, string> metadata)
    {
        var rows = _spare.TryDequeue(out var spare) ? spare : new LakeColumns();
        long total = 0;
        await using (var writer = await ParquetWriter.CreateAsync(LakeColumns.Schema, stream))
        {
            foreach (var (part, _) in parts)
            {
                var bytes = _store!.Read(part) ?? throw new IOException($"{part} vanished while its hour was published.");
                await using (var reader = await ParquetReader.CreateAsync(new MemoryStream(bytes, writable: false)))
                {
                    for (var g = 0; g < reader.RowGroupCount; g++)
                    {
                        using var group = reader.OpenRowGroupReader(g);
                        await rows.AddRowGroupAsync(group);
                    }
                }

                if (rows.Count >= RowGroupRows)
                {
                    total += await FlushAsync(writer);
                }
            }

            if (rows.Count > 0)
            {
                total += await FlushAsync(writer);
            }

            // The footer is written when the writer closes, so the offsets can go in last.
            metadata["clickstream.offsets"] = JsonSerializer.Serialize(offsets);
            writer.CustomMetadata = metadata;
        }

        Recycle([rows]);
        return total;

        async Task<long> FlushAsync(ParquetWriter writer)
        {
            var count = rows.Count;
            rows.AddOffsets(offsets);
            await rows.WriteRowGroupAsync(writer);
            rows.Clear();
            return count;
        }
    }

    private void PublishFailed(Exception ex, string what)
    {
        Interlocked.Increment(ref _publishFailures);
        LogPublishFailed(ex, what, _store!.Location);
    }

    private bool InLake(string site, long hour, int partition, long offset) =>
        _inLake!.TryGetValue(HourFolder(site, hour), out var offsets) && offsets.TryGetValue(partition, out var last) && offset <= last;

    private void Recycle(IEnumerable<LakeColumns> columns)
    {
        foreach (var c in columns)
        {
            c.Clear();
            if (_spare.Count < SpareColumns)
            {
                _spare.Enqueue(c);
            }
        }
    }

    private void TryDelete(string name)
    {
        try
        {
            _store!.Delete(name);
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            // Kept: a restart restores a checkpoint before this sequence or after it; after it, this part is one
            // more copy of events also in a later part. Logged so it can be found.
            LogOrphan(ex, name);
        }
    }

    private static bool IsStorageFailure(Exception ex) => ex is IOException or UnauthorizedAccessException or RequestFailedException;

    private static long? SequenceOf(string name)
    {
        var file = name.AsSpan(name.LastIndexOf('/') + 1);
        return file.StartsWith(PartPrefix) && file.EndsWith(Extension)
            && long.TryParse(file[PartPrefix.Length..^Extension.Length], NumberStyles.None, CultureInfo.InvariantCulture, out var s)
            ? s
            : null;
    }

    /// <summary><c>site=S/date=yyyy-MM-dd/hour=HH</c>, the site escaped so it is one safe path segment.</summary>
    private static string HourFolder(string site, long hour)
    {
        var start = new DateTime(hour, DateTimeKind.Utc);
        return string.Create(CultureInfo.InvariantCulture, $"site={Uri.EscapeDataString(site)}/date={start:yyyy-MM-dd}/hour={start:HH}");
    }

    private static DateTime? HourFrom(string folder)
    {
        var segments = folder.Split('/');
        return segments.Length == 3 && segments[1].StartsWith("date=", StringComparison.Ordinal) && segments[2].StartsWith("hour=", StringComparison.Ordinal)
            && DateTime.TryParseExact($"{segments[1][5..]} {segments[2][5..]}", "yyyy-MM-dd HH", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var hour)
            ? hour
            : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Published {Partition}: {Events} events (checkpoints {First}-{Last})")]
    private partial void LogPublished(string partition, long events, long first, long last);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Hours} hours in {Location} hold events published after checkpoint {Sequence}, the one restored: events read again that they hold are not written again")]
    private partial void LogFallback(int hours, long sequence, string location);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {Hour} in {Location} failed; the next round tries again")]
    private partial void LogPublishFailed(Exception ex, string hour, string location);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Parts} staging parts already in {File} (a publish stopped before deleting them) deleted")]
    private partial void LogLeftovers(int parts, string file);

    [LoggerMessage(Level = LogLevel.Error, Message = "The lake part {Name}, of a checkpoint that was not stored, could not be removed")]
    private partial void LogOrphan(Exception ex, string name);
}

/// <summary>The events applied between two captures, per site and hour, as columns.</summary>
public sealed class LakeBatch
{
    internal LakeBatch(Dictionary<(string Site, long Hour), LakeColumns> groups) => Groups = groups;

    internal Dictionary<(string Site, long Hour), LakeColumns> Groups { get; }

    public int Count => Groups.Values.Sum(g => g.Count);

    /// <summary>A later batch's rows join this one's.</summary>
    internal void Add(LakeBatch later)
    {
        foreach (var (key, columns) in later.Groups)
        {
            if (Groups.TryGetValue(key, out var mine))
            {
                mine.Add(columns);
            }
            else
            {
                Groups[key] = columns;
            }
        }
    }
}
