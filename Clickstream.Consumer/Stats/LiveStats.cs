namespace Clickstream.Consumer.Stats;

/// <summary>A point-in-time copy of the aggregates, as <c>/api/stats</c> serves it.</summary>
public sealed record StatsSnapshot(
    long TotalEvents,
    double EventsPerSecond,
    long UniqueVisitors,
    IReadOnlyList<Ranked> TopPaths,
    long DuplicatesDropped,
    long MalformedSkipped,
    long LostToOffsetResets,
    DateTimeOffset? LastEventAt,
    DateTimeOffset GeneratedAt);

public sealed record Ranked(string Key, long Count);

/// <summary>
/// Live aggregates over applied events. Writes come from the consume loop, reads from HTTP requests;
/// one lock keeps them consistent and is cheap next to the work per event.
/// </summary>
public sealed class LiveStats(TimeProvider time)
{
    private const int RateWindowSeconds = 10;
    private const int MaxTrackedPaths = 10_000;

    private readonly Lock _gate = new();
    private readonly HashSet<string> _visitors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _paths = new(StringComparer.Ordinal);
    // Events applied per second, by Unix second: the window plus the second still filling.
    private const int Slots = RateWindowSeconds + 1;
    private readonly long[] _perSecond = new long[Slots];
    private readonly long[] _secondOf = new long[Slots];
    private long _total;
    private long _duplicates;
    private long _malformed;
    private long _lost;
    private DateTimeOffset? _lastEventAt;

    public long TotalEvents
    {
        get
        {
            lock (_gate)
            {
                return _total;
            }
        }
    }

    public void Apply(ClickEvent e)
    {
        var now = time.GetUtcNow();
        var second = now.ToUnixTimeSeconds();
        lock (_gate)
        {
            _total++;
            _lastEventAt = now;
            var slot = (int)(second % Slots);
            if (_secondOf[slot] != second)
            {
                _secondOf[slot] = second;
                _perSecond[slot] = 0;
            }

            _perSecond[slot]++;
            if (e.Cookie is { Length: > 0 } cookie && cookie != "-")
            {
                _visitors.Add(cookie);
            }

            var path = PathOnly(e.Path);
            if (path is not null && (_paths.ContainsKey(path) || _paths.Count < MaxTrackedPaths))
            {
                _paths[path] = _paths.GetValueOrDefault(path) + 1;
            }
        }
    }

    public void DuplicateDropped() => Interlocked.Increment(ref _duplicates);

    public void MalformedSkipped() => Interlocked.Increment(ref _malformed);

    /// <summary>Events the broker no longer had when the consumer asked (offset reset past them).</summary>
    public void Lost(long count) => Interlocked.Add(ref _lost, count);

    public StatsSnapshot Snapshot()
    {
        var now = time.GetUtcNow();
        var second = now.ToUnixTimeSeconds();
        lock (_gate)
        {
            // Full seconds only: the current one is still filling.
            long recent = 0;
            for (var s = second - RateWindowSeconds; s < second; s++)
            {
                var slot = (int)(s % Slots);
                if (_secondOf[slot] == s)
                {
                    recent += _perSecond[slot];
                }
            }

            var top = _paths.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(10)
                .Select(p => new Ranked(p.Key, p.Value)).ToList();
            return new StatsSnapshot(_total, (double)recent / RateWindowSeconds, _visitors.Count, top,
                Interlocked.Read(ref _duplicates), Interlocked.Read(ref _malformed), Interlocked.Read(ref _lost), _lastEventAt, now);
        }
    }

    /// <summary>The path as logged, query included: for a pixel the query carries the page's parameters.</summary>
    private static string? PathOnly(string? path) => string.IsNullOrEmpty(path) || path == "-" ? null : path;
}
