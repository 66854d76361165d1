using System.Diagnostics.Metrics;
using Clickstream.Consumer.Stats.Sites;
using Clickstream.Contracts.Analytics;

namespace Clickstream.Consumer.Stats;

/// <summary>Counts over one time window ("now" = last 5 minutes, or last 30 minutes).</summary>
public sealed record WindowCounts(string Window, long Hits, long Visitors);

/// <summary>A point-in-time copy of the aggregates, as <c>/api/stats</c> and <c>/api/stream</c> serve it.</summary>
public sealed record StatsSnapshot(
    long TotalEvents,
    double EventsPerSecond,
    long UniqueVisitors,
    bool UniqueVisitorsExact,
    double UniqueVisitorsStandardError,
    WindowCounts Now,
    WindowCounts Last30Minutes,
    long[] PerSecond,
    long[] PerMinute,
    IReadOnlyList<Ranked> TopPaths,
    IReadOnlyList<Ranked> TopQueryParameters,
    IReadOnlyList<Ranked> TopReferrerDomains,
    IReadOnlyList<Ranked> Browsers,
    IReadOnlyList<Ranked> OperatingSystems,
    IReadOnlyList<Ranked> Devices,
    double BotShare,
    IReadOnlyList<Ranked> StatusCodes,
    double? FreshnessP50Ms,
    double? FreshnessP99Ms,
    long DuplicatesDropped,
    long MalformedSkipped,
    long LostToOffsetResets,
    DateTimeOffset? LastEventAt,
    DateTimeOffset GeneratedAt);

/// <summary>
/// Live aggregates over applied events, pure and driven by a <see cref="TimeProvider"/>. Time windows
/// use the hit's own time (so a replay after a restart lands in the right minutes), falling back to
/// the time of applying when a line has none. Writes come from the apply thread, reads from HTTP
/// requests; one lock keeps them consistent and is cheap next to the work per event.
/// </summary>
public sealed partial class LiveStats(TimeProvider time, IMeterFactory? meters = null)
{
    public const int RateWindowSeconds = 10;
    public const int SecondsKept = 300;
    public const int MinutesKept = 60;
    private const int TopN = 10;
    private const int MaxActiveVisitors = 1_000_000;
    private const int FreshnessSamples = 4096;
    private static readonly TimeSpan FreshnessHorizon = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan NowWindow = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan LongWindow = TimeSpan.FromMinutes(30);

    private readonly Lock _gate = new();
    private readonly UniqueCounter _visitors = new();
    private readonly ActiveVisitors _active = new(LongWindow, MaxActiveVisitors);
    private readonly TimeBuckets _perSecond = new(SecondsKept + 1, TimeSpan.FromSeconds(1));
    private readonly TimeBuckets _perMinute = new(MinutesKept, TimeSpan.FromMinutes(1));
    private readonly TopCounter _paths = new();
    private readonly TopCounter _queryParameters = new();
    private readonly TopCounter _referrers = new();
    private readonly TopCounter _browsers = new(1_000);
    private readonly TopCounter _systems = new(1_000);
    private readonly TopCounter _devices = new(100);
    private readonly TopCounter _codes = new(1_000);
    // Parsing caches: a site has few distinct agents, paths and referrers, so each is parsed once (bounded).
    private const int MaxCached = 10_000;
    private readonly Dictionary<string, UserAgentInfo> _agents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string[]> _parameters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _referrerDomains = new(StringComparer.Ordinal);
    private readonly (long AppliedTicks, double Ms)[] _freshness = new (long, double)[FreshnessSamples];
    private int _freshnessNext;
    private long _bots;
    private long _total;
    private long _duplicates;
    private long _malformed;
    private long _lost;
    private DateTimeOffset? _lastEventAt;

    /// <summary>The analytics view (sites, pages, sources, sessions) of the same events.</summary>
    public SiteStats Sites { get; } = new(time, meters);

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
        var at = e.Time is { } t && t <= now ? t : now;
        lock (_gate)
        {
            _total++;
            _lastEventAt = now;
            _perSecond.Add(at, now);
            _perMinute.Add(at, now);
            if (e.Time is { } hit)
            {
                _freshness[_freshnessNext] = (now.UtcTicks, Math.Max(0, (now - hit).TotalMilliseconds));
                _freshnessNext = (_freshnessNext + 1) % FreshnessSamples;
            }

            if ((e.VisitorHash ?? (Present(e.Cookie) is { } cookie ? UniqueCounter.Hash(cookie) : null)) is { } hash)
            {
                _visitors.Add(hash);
                _active.Seen(hash, at, now);
            }

            if (Present(e.Path) is { } path)
            {
                var query = path.IndexOf('?', StringComparison.Ordinal);
                if (query >= 0 && IsTrackerHit(path.AsSpan(query + 1)))
                {
                    // A tracker's query is one page's data with ids and times unique to the hit, analysed per
                    // site (Sites); ranked here it would only be endless distinct rows (and work per hit).
                    _paths.Add(Endpoint(path, query));
                }
                else
                {
                    _paths.Add(path);
                    foreach (var parameter in Cached(_parameters, path, p => QueryParameters(p).ToArray()))
                    {
                        _queryParameters.Add(parameter);
                    }
                }
            }

            _referrers.Add(Cached(_referrerDomains, e.Referer ?? "-", ReferrerDomain));
            _codes.Add(Present(e.Code) ?? "-");

            var ua = Cached(_agents, e.Agent ?? "-", UserAgentParser.Parse);

            _browsers.Add(ua.Browser);
            _systems.Add(ua.OperatingSystem);
            _devices.Add(ua.Device);
            if (ua.IsBot)
            {
                _bots++;
            }
        }

        Sites.Apply(e, at, now);
    }

    public void DuplicateDropped() => Interlocked.Increment(ref _duplicates);

    public void MalformedSkipped() => Interlocked.Increment(ref _malformed);

    /// <summary>Events the broker no longer had when the consumer asked (offset reset past them).</summary>
    public void Lost(long count) => Interlocked.Add(ref _lost, count);

    public StatsSnapshot Snapshot()
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            // The rate counts full seconds only: the current one is still filling.
            var lastSeconds = _perSecond.Last(RateWindowSeconds + 1, now);
            var rate = (double)lastSeconds.Take(RateWindowSeconds).Sum() / RateWindowSeconds;
            var (active5, active30) = (_active.Count(NowWindow, now), _active.Count(LongWindow, now));
            var (p50, p99) = Freshness(now);
            return new StatsSnapshot(
                _total, rate, _visitors.Count, _visitors.IsExact, _visitors.StandardError,
                new WindowCounts("5m", _perSecond.Sum(SecondsKept, now), active5),
                new WindowCounts("30m", _perMinute.Sum(30, now), active30),
                _perSecond.Last(SecondsKept, now), _perMinute.Last(MinutesKept, now),
                _paths.Top(TopN), _queryParameters.Top(TopN), _referrers.Top(TopN),
                _browsers.Top(TopN), _systems.Top(TopN), _devices.Top(TopN),
                _total == 0 ? 0 : (double)_bots / _total,
                _codes.Top(TopN), p50, p99,
                Interlocked.Read(ref _duplicates), Interlocked.Read(ref _malformed), Interlocked.Read(ref _lost), _lastEventAt, now);
        }
    }

    private (double? P50, double? P99) Freshness(DateTimeOffset now)
    {
        var since = (now - FreshnessHorizon).UtcTicks;
        var recent = _freshness.Where(s => s.AppliedTicks > since).Select(s => s.Ms).Order().ToArray();
        return recent.Length == 0 ? (null, null) : (Percentile(recent, 0.50), Percentile(recent, 0.99));
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    internal static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static T Cached<T>(Dictionary<string, T> cache, string key, Func<string, T> parse)
    {
        if (!cache.TryGetValue(key, out var value))
        {
            value = parse(key);
            if (cache.Count < MaxCached)
            {
                cache[key] = value;
            }
        }

        return value;
    }

    /// <summary>A hit of a tracker: its query names the event (<c>e=</c>).</summary>
    internal static bool IsTrackerHit(ReadOnlySpan<char> query) =>
        query.StartsWith(EventParameter, StringComparison.Ordinal) || query.Contains(AndEventParameter, StringComparison.Ordinal);

    private static readonly string EventParameter = TrackerProtocol.Event + "=";
    private static readonly string AndEventParameter = "&" + EventParameter;

    /// <summary>The path without its query; the same string as last time when it is the same endpoint (always, for a pixel).</summary>
    private string Endpoint(string path, int query)
    {
        if (_lastEndpoint is not { } last || !path.AsSpan(0, query).SequenceEqual(last))
        {
            _lastEndpoint = last = path[..query];
        }

        return last;
    }

    private string? _lastEndpoint;

    private static string? Present(string? value) => string.IsNullOrEmpty(value) || value == "-" ? null : value;

    /// <summary>The query's parameters as <c>name=value</c> (value cut at 100 chars): for a pixel they carry the page's data.</summary>
    internal static IEnumerable<string> QueryParameters(string path)
    {
        var q = path.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
        {
            yield break;
        }

        foreach (var pair in path[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var decoded = Uri.UnescapeDataString(pair.Replace('+', ' '));
            yield return decoded.Length > 100 ? decoded[..100] : decoded;
        }
    }

    /// <summary>The referrer's host without <c>www.</c>; "(direct)" when there is none.</summary>
    internal static string ReferrerDomain(string? referer)
    {
        if (Present(referer) is not { } r)
        {
            return "(direct)";
        }

        if (Uri.TryCreate(r, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.Host))
        {
            var host = uri.Host.ToLowerInvariant();
            return host.StartsWith("www.", StringComparison.Ordinal) ? host[4..] : host;
        }

        return "(invalid)";
    }
}
