using Clickstream.Contracts.Analytics;

namespace Clickstream.Consumer.Stats.Sites;

/// <summary>A page view in the live feed.</summary>
public sealed record PageViewItem(DateTimeOffset Time, string Page, string? Title, string Source, string Device, string Browser);

/// <summary>One site's figures, as <c>/api/stats?site=</c> adds them (the "all sites" view when <see cref="Site"/> is null).</summary>
public sealed record SiteSnapshot(
    string? Site,
    long CurrentVisitors,
    long Visitors30Minutes,
    long Pageviews,
    long Pageviews30Minutes,
    long[] PageviewsPerMinute,
    long Visitors,
    long Sessions,
    long NewVisitorSessions,
    double BounceRate,
    double? EngagedSecondsPerSession,
    long Events,
    long BotEvents,
    IReadOnlyList<Ranked> TopPages,
    IReadOnlyList<Ranked> TopEntryPages,
    IReadOnlyList<Ranked> TopSources,
    IReadOnlyList<Ranked> TopCampaigns,
    IReadOnlyList<Ranked> Channels,
    IReadOnlyList<Ranked> SessionBrowsers,
    IReadOnlyList<Ranked> SessionOperatingSystems,
    IReadOnlyList<Ranked> SessionDevices,
    IReadOnlyList<Ranked> CustomEvents,
    IReadOnlyList<PageViewItem> LatestPageViews);

/// <summary>
/// The live figures of one site (or of all): plain data only (counters, a visitor set that turns into
/// HyperLogLog registers, bounded top-N maps, per-minute buckets, a ring of recent page views), so it can be
/// snapshotted as is, and the minute buckets and counters merged by addition, the registers by maximum.
/// Page views count <c>pv</c> and bare pixel hits; entry pages, sources, campaigns, channels, browsers,
/// systems and devices count sessions (at their first page view); custom events count events. Bots never
/// reach it (they are counted apart). Not thread-safe: <see cref="SiteStats"/> locks around it.
/// </summary>
public sealed partial class SiteAggregate(string? site, bool keepsHistory = true)
{
    public const int MinutesShown = 30;
    private const int TopN = 10;
    private const int FeedSize = 20;
    private const int MaxKeys = 2_000;
    private const int MaxActiveVisitors = 1_000_000;
    private static readonly TimeSpan CurrentWindow = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan LongWindow = TimeSpan.FromMinutes(MinutesShown);

    // Engaged time beyond this per ping is a tab left open, not attention.
    private const long MaxEngagedMsPerPing = 30 * 60 * 1000;

    private readonly UniqueCounter _visitors = new(exactLimit: 50_000);
    private readonly ActiveVisitors _active = new(LongWindow, MaxActiveVisitors);
    private readonly TimeBuckets _pageviewsPerMinute = new(MinutesShown, TimeSpan.FromMinutes(1));
    private readonly TopCounter _pages = new(MaxKeys);
    private readonly TopCounter _entryPages = new(MaxKeys);
    private readonly TopCounter _sources = new(MaxKeys);
    private readonly TopCounter _campaigns = new(MaxKeys);
    private readonly TopCounter _channels = new(100);
    private readonly TopCounter _browsers = new(200);
    private readonly TopCounter _systems = new(200);
    private readonly TopCounter _devices = new(20);
    private readonly TopCounter _customEvents = new(MaxKeys);
    private readonly PageViewItem?[] _feed = new PageViewItem?[FeedSize];
    private long _feedWritten;
    private long _events;
    private long _pageviews;
    private long _sessions;
    private long _entries;
    private long _nonBounced;
    private long _newVisitorSessions;
    private long _engagedMs;
    private long _bots;

    public string? Site => site;

    public long Pageviews => _pageviews;

    /// <summary>The same figures in minute, hour and day buckets, for ranges; null for the all-sites view, whose ranges merge the sites'.</summary>
    public History.SiteHistory? History { get; } = keepsHistory ? new() : null;

    public void Bot() => _bots++;

    public void Apply(AnalyticsEvent e, ulong visitor, SessionStep step, DateTimeOffset at, DateTimeOffset now)
    {
        _events++;
        History?.Apply(e, visitor, step, at, now);
        _visitors.Add(visitor);
        _active.Seen(visitor, at, now);
        if (step.NewSession)
        {
            _sessions++;
            if (step.NewVisitor)
            {
                _newVisitorSessions++;
            }
        }

        if (e.Type is EventType.PageView or EventType.Hit)
        {
            var page = e.PagePath ?? "(unknown)";
            _pageviews++;
            _pageviewsPerMinute.Add(at, now);
            _pages.Add(page);
            _feed[_feedWritten++ % FeedSize] = new PageViewItem(at, page, e.PageTitle, e.Source ?? "(internal)", e.UserAgent.Device, e.UserAgent.Browser);
            if (step.Entry)
            {
                _entries++;
                _entryPages.Add(page);
                _sources.Add(e.Source ?? Sources.Direct);
                _channels.Add(e.Channel ?? Contracts.Analytics.Channels.Direct);
                if (e.Campaign is { } campaign)
                {
                    _campaigns.Add(campaign);
                }

                _browsers.Add(e.UserAgent.Browser);
                _systems.Add(e.UserAgent.OperatingSystem);
                _devices.Add(e.UserAgent.Device);
            }

            if (step.SecondPageView)
            {
                _nonBounced++;
            }
        }

        if (e.CustomEventName is { } name && e.Type is EventType.SelfDescribing or EventType.Structured)
        {
            _customEvents.Add(name);
        }

        if (e.EngagedMs is { } engaged)
        {
            _engagedMs += Math.Min(engaged, MaxEngagedMsPerPing);
        }
    }

    /// <summary>Current visitors (last 5 minutes), for the site picker.</summary>
    public long CurrentVisitors(DateTimeOffset now) => _active.Count(CurrentWindow, now);

    public SiteSnapshot Snapshot(DateTimeOffset now)
    {
        var feed = new List<PageViewItem>(FeedSize);
        for (var i = 1; i <= Math.Min(FeedSize, _feedWritten); i++)
        {
            feed.Add(_feed[(_feedWritten - i) % FeedSize]!);
        }

        return new SiteSnapshot(
            site,
            _active.Count(CurrentWindow, now),
            _active.Count(LongWindow, now),
            _pageviews,
            _pageviewsPerMinute.Sum(MinutesShown, now),
            _pageviewsPerMinute.Last(MinutesShown, now),
            _visitors.Count,
            _sessions,
            _newVisitorSessions,
            _entries == 0 ? 0 : (double)(_entries - _nonBounced) / _entries,
            _sessions == 0 ? null : _engagedMs / 1000.0 / _sessions,
            _events,
            _bots,
            _pages.Top(TopN),
            _entryPages.Top(TopN),
            _sources.Top(TopN),
            _campaigns.Top(TopN),
            _channels.Top(TopN),
            _browsers.Top(TopN),
            _systems.Top(TopN),
            _devices.Top(TopN),
            _customEvents.Top(TopN),
            feed);
    }
}
