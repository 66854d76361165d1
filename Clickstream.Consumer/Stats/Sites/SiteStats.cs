using System.Diagnostics.Metrics;
using System.Text;
using Clickstream.Consumer.Consuming;
using Clickstream.Contracts.Analytics;

namespace Clickstream.Consumer.Stats.Sites;

/// <summary>A site in the picker.</summary>
public sealed record SiteSummary(string Site, long CurrentVisitors, long Pageviews);

/// <summary>
/// The analytics view of the hits: each applied line becomes an <see cref="AnalyticsEvent"/> (contracts
/// library), bots are counted apart, a repeated tracker event id (<c>eid</c>) is dropped, the visitor is the
/// pixel's cookie or, without one, a <see cref="CookielessVisitorIds"/> id; sessions come from
/// <see cref="SessionTracker"/>; the figures go to the event's site and to the all-sites view. Bad tracker
/// input counts per reason (<c>consumer.analytics.problems</c>, tag <c>reason</c>) and the hit still counts.
/// </summary>
public sealed partial class SiteStats
{
    /// <summary>Sites beyond this many are counted under <see cref="OtherSites"/>: a hostile client could send endless <c>aid</c>s.</summary>
    public const int MaxSites = 1_000;
    public const string OtherSites = "(other sites)";
    private const int EventIdWindow = 200_000;

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly AnalyticsEventReader _reader = new();
    private readonly SessionTracker _sessions;
    private readonly CookielessVisitorIds _cookieless;
    private readonly DeduplicationWindow _eventIds = new(EventIdWindow);
    private readonly Dictionary<string, SiteAggregate> _sites = new(StringComparer.Ordinal);
    private readonly SiteAggregate _all = new(null, keepsHistory: false);
    private readonly Dictionary<string, long> _problems = new(StringComparer.Ordinal);
    private long _duplicateEventIds;

    public SiteStats(TimeProvider time, IMeterFactory? meters = null)
    {
        _time = time;
        _sessions = new SessionTracker(time);
        _cookieless = new CookielessVisitorIds(time);
        if (meters is not null)
        {
            var meter = meters.Create(ConsumerMetrics.MeterName);
            meter.CreateObservableCounter("consumer.analytics.problems", ObserveProblems, "{event}",
                "Hits whose tracker parameters were partly unusable (the hit still counts), by reason.");
            meter.CreateObservableCounter("consumer.analytics.duplicate_event_ids", () => Interlocked.Read(ref _duplicateEventIds), "{event}",
                "Tracker events whose eid was already counted (a tracker's retry), left out of the analytics figures.");
        }
    }

    public long DuplicateEventIds => Interlocked.Read(ref _duplicateEventIds);

    public void Apply(ClickEvent line, DateTimeOffset at, DateTimeOffset now)
    {
        lock (_gate)
        {
            var e = _reader.Read(line.Path, line.Referer, line.Agent);
            if (e.Problems != EventProblems.None)
            {
                foreach (var reason in EventProblemNames.Of(e.Problems))
                {
                    _problems[reason] = _problems.GetValueOrDefault(reason) + 1;
                }
            }

            if (e.EventId is { } eid && !_eventIds.TryAdd(SiteEventId(e.Site, eid)))
            {
                _duplicateEventIds++;
                return;
            }

            var site = Site(e.Site);
            if (e.IsBot)
            {
                site.Bot();
                _all.Bot();
                Observer?.Applied(line, e, null, null, at);
                return;
            }

            var visitor = line.VisitorHash
                ?? (line.Cookie is { Length: > 0 } cookie && cookie != "-" ? UniqueCounter.Hash(cookie) : _cookieless.Id(e.Site, line.Remote, line.Agent, at));
            var step = _sessions.Track(e.Site, visitor, e, at);
            site.Apply(e, visitor, step, at, now);
            // All sites: one person on two sites is one visitor, so the visitor hash is used as is. Its history
            // is not kept twice: its ranges merge the sites' buckets when asked.
            _all.Apply(e, visitor, step, at, now);
            Observer?.Applied(line, e, visitor, step, at);
        }
    }

    /// <summary>Every site seen, busiest (current visitors, then page views) first.</summary>
    public IReadOnlyList<SiteSummary> Sites()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            return _sites.Values
                .Select(s => new SiteSummary(s.Site!, s.CurrentVisitors(now), s.Pageviews))
                .OrderByDescending(s => s.CurrentVisitors).ThenByDescending(s => s.Pageviews).ThenBy(s => s.Site, StringComparer.Ordinal)
                .ToList();
        }
    }

    /// <summary>One site's figures (null: all sites); null when the site was never seen.</summary>
    public SiteSnapshot? Snapshot(string? site)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (site is null)
            {
                return _all.Snapshot(now);
            }

            return _sites.TryGetValue(site, out var aggregate) ? aggregate.Snapshot(now) : null;
        }
    }

    public IReadOnlyDictionary<string, long> Problems()
    {
        lock (_gate)
        {
            return new Dictionary<string, long>(_problems, StringComparer.Ordinal);
        }
    }

    /// <summary>
    /// <c>site \n eid</c> in UTF-8 (what the window hashes, and what checkpoints hold the hashes of), written into a
    /// buffer reused per call instead of two new strings and an array per event; the caller holds the lock.
    /// </summary>
    private ReadOnlySpan<byte> SiteEventId(string site, string eid)
    {
        var max = Encoding.UTF8.GetMaxByteCount(site.Length + eid.Length + 1);
        if (_eventIdBytes.Length < max)
        {
            _eventIdBytes = new byte[max];
        }

        var n = Encoding.UTF8.GetBytes(site, _eventIdBytes);
        _eventIdBytes[n++] = (byte)'\n';
        n += Encoding.UTF8.GetBytes(eid, _eventIdBytes.AsSpan(n));
        return _eventIdBytes.AsSpan(0, n);
    }

    private byte[] _eventIdBytes = new byte[256];

    private SiteAggregate Site(string name)
    {
        if (!_sites.TryGetValue(name, out var site))
        {
            if (_sites.Count >= MaxSites)
            {
                name = OtherSites;
                if (_sites.TryGetValue(name, out site))
                {
                    return site;
                }
            }

            site = new SiteAggregate(name);
            _sites[name] = site;
        }

        return site;
    }

    private IEnumerable<Measurement<long>> ObserveProblems()
    {
        foreach (var (reason, count) in Problems())
        {
            yield return new Measurement<long>(count, new KeyValuePair<string, object?>("reason", reason));
        }
    }
}
