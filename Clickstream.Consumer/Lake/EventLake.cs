using System.Globalization;
using System.Text.Json;
using Clickstream.Consumer.Stats;
using Clickstream.Consumer.Stats.Sites;
using Clickstream.Contracts.Analytics;
using Clickstream.ServiceDefaults.Files;
using Microsoft.Extensions.Options;
using Parquet.Serialization;

namespace Clickstream.Consumer.Lake;

/// <summary>
/// Every applied event, once, in hourly Parquet files under <c>site=…/date=…/hour=…/</c>. Exactly once rides
/// on the checkpoints: the events applied between two captures are sealed with the later one and written as
/// a staging part named by its sequence (<c>_staging/…/part-SEQ.parquet</c>) before that checkpoint is
/// stored. A restart deletes the parts of checkpoints it did not restore (their events are read and written
/// again), so a part exists exactly when its events are in the restored state. An hour is published once it
/// ended <see cref="LakeOptions.CloseAfter"/> ago: its parts (those of checkpoints with a successor, so a
/// fallback from a corrupt newest checkpoint never re-reads published events) are merged into one file,
/// written to a temporary name, fsynced and renamed, with the offsets it covers in its key-value metadata;
/// then the parts go. Publishing again after a crash writes the same name with the same rows.
/// </summary>
public sealed partial class EventLake(IOptions<LakeOptions> options, TimeProvider time, ILogger<EventLake> logger) : IAppliedEventObserver
{
    public const string StagingDirectory = "_staging";
    private const string PartPrefix = "part-";
    private readonly LakeOptions _options = options.Value;
    private List<LakeEvent> _open = [];
    private (int Partition, long Offset, string? EventId) _position;
    private long _published;

    public bool Enabled => _options.Enabled;

    public string Root => Path.GetFullPath(_options.Directory!);

    /// <summary>Events in published files since start.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Apply thread: where the next event comes from.</summary>
    public void At(int partition, long offset, string? eventId) => _position = (partition, offset, eventId);

    public void Applied(ClickEvent line, AnalyticsEvent e, ulong? visitor, SessionStep? step, DateTimeOffset at) => _open.Add(new LakeEvent
    {
        EventTime = at.UtcDateTime,
        Site = e.Site,
        EventType = e.Type.ToString(),
        PagePath = e.PagePath,
        PageTitle = e.PageTitle,
        Source = e.Source,
        Channel = e.Channel,
        Campaign = e.Campaign,
        CustomEvent = e.CustomEventName,
        Browser = e.UserAgent.Browser,
        OperatingSystem = e.UserAgent.OperatingSystem,
        Device = e.UserAgent.Device,
        IsBot = e.IsBot,
        Visitor = visitor is { } v ? unchecked((long)v) : null,
        Session = step is { } s ? unchecked((long)s.Session) : null,
        NewSession = step?.NewSession ?? false,
        EngagedMs = e.EngagedMs,
        Status = line.Code,
        Partition = _position.Partition,
        Offset = _position.Offset,
        EventId = _position.EventId,
    });

    /// <summary>Apply thread, at a capture: the events applied since the previous one.</summary>
    public List<LakeEvent> Seal()
    {
        var sealedEvents = _open;
        _open = [];
        return sealedEvents;
    }

    /// <summary>At start: parts of checkpoints newer than the restored one are dropped (their events come again).</summary>
    public void Restored(long? sequence)
    {
        foreach (var part in Parts())
        {
            if (SequenceOf(part) is not { } s || sequence is null || s > sequence)
            {
                File.Delete(part);
            }
        }
    }

    /// <summary>The sequence of the last checkpoint that came with parts.</summary>
    public long LastPartSequence { get; private set; }

    /// <summary>Writer: the sealed events as one part per site and hour, before checkpoint <paramref name="sequence"/> is stored.</summary>
    public void WriteParts(long sequence, List<LakeEvent> events)
    {
        if (events.Count > 0)
        {
            LastPartSequence = sequence;
        }

        foreach (var group in events.GroupBy(e => (e.Site, Hour: HourOf(e.EventTime))))
        {
            var directory = Path.Combine(Root, StagingDirectory, Partition(group.Key.Site, group.Key.Hour));
            Directory.CreateDirectory(directory);
            WriteAtomically(Path.Combine(directory, $"{PartPrefix}{sequence:D12}.parquet"), [.. group], null);
        }
    }

    /// <summary>Writer, after checkpoint <paramref name="committed"/> is stored: publishes every hour that is due.</summary>
    public void PublishDue(long committed)
    {
        var due = time.GetUtcNow().UtcDateTime - _options.CloseAfter;
        var staging = Path.Combine(Root, StagingDirectory);
        if (!Directory.Exists(staging))
        {
            return;
        }

        foreach (var hourDirectory in Directory.EnumerateDirectories(staging, "hour=*", SearchOption.AllDirectories).ToList())
        {
            var relative = Path.GetRelativePath(staging, hourDirectory);
            if (HourFrom(relative) is not { } hour || hour.AddHours(1) > due)
            {
                continue;
            }

            var parts = Directory.EnumerateFiles(hourDirectory, PartPrefix + "*.parquet")
                .Where(p => SequenceOf(p) is { } s && s < committed).Order(StringComparer.Ordinal).ToList();
            if (parts.Count == 0)
            {
                continue;
            }

            var events = parts.SelectMany(p => Read(p)).OrderBy(e => e.Partition).ThenBy(e => e.Offset).ToList();
            var (first, last) = (SequenceOf(parts[0])!.Value, SequenceOf(parts[^1])!.Value);
            var offsets = events.GroupBy(e => e.Partition).ToDictionary(
                g => g.Key.ToString(CultureInfo.InvariantCulture), g => new[] { g.Min(e => e.Offset), g.Max(e => e.Offset) });
            var target = Path.Combine(Root, relative);
            Directory.CreateDirectory(target);
            WriteAtomically(Path.Combine(target, $"events-{first:D12}-{last:D12}.parquet"), events, new Dictionary<string, string>
            {
                ["clickstream.schema"] = "1",
                ["clickstream.checkpoints"] = $"{first}-{last}",
                ["clickstream.offsets"] = JsonSerializer.Serialize(offsets),
            });
            foreach (var part in parts)
            {
                File.Delete(part);
            }

            Interlocked.Add(ref _published, events.Count);
            LogPublished(relative, events.Count, first, last);
        }
    }

    internal static IList<LakeEvent> Read(string path)
    {
        using var stream = File.OpenRead(path);
        return ParquetSerializer.DeserializeAsync<LakeEvent>(stream).GetAwaiter().GetResult().Data;
    }

    private static void WriteAtomically(string path, List<LakeEvent> events, Dictionary<string, string>? metadata) =>
        AtomicFile.Write(path, file => ParquetSerializer.SerializeAsync(events, file, new Parquet.ParquetOptions { RowGroupSize = 250_000 }, metadata).GetAwaiter().GetResult());

    private IEnumerable<string> Parts()
    {
        var staging = Path.Combine(Root, StagingDirectory);
        return Directory.Exists(staging) ? Directory.EnumerateFiles(staging, "*.parquet*", SearchOption.AllDirectories).ToList() : [];
    }

    private static long? SequenceOf(string path) =>
        Path.GetFileName(path) is var name && name.StartsWith(PartPrefix, StringComparison.Ordinal) && name.EndsWith(".parquet", StringComparison.Ordinal)
            && long.TryParse(name.AsSpan(PartPrefix.Length, name.Length - PartPrefix.Length - 8), NumberStyles.None, CultureInfo.InvariantCulture, out var s)
            ? s
            : null;

    private static DateTime HourOf(DateTime t) => new(t.Ticks - (t.Ticks % TimeSpan.TicksPerHour), DateTimeKind.Utc);

    /// <summary><c>site=S/date=yyyy-MM-dd/hour=HH</c>, the site escaped so it is one safe path segment.</summary>
    private static string Partition(string site, DateTime hour) =>
        Path.Combine($"site={Uri.EscapeDataString(site)}", $"date={hour:yyyy-MM-dd}", $"hour={hour:HH}");

    private static DateTime? HourFrom(string relative)
    {
        var segments = relative.Split(Path.DirectorySeparatorChar);
        return segments.Length == 3
            && DateTime.TryParseExact($"{segments[1][5..]} {segments[2][5..]}", "yyyy-MM-dd HH", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var hour)
            ? hour
            : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Published {Partition}: {Events} events (checkpoints {First}-{Last})")]
    private partial void LogPublished(string partition, int events, long first, long last);
}
