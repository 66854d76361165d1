using Clickstream.Consumer.Stats;
using Microsoft.Extensions.Time.Testing;

namespace Clickstream.Consumer.Tests;

public sealed class LiveStatsTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private static ClickEvent Hit(string path, string cookie = "0123456789abcdef0123456789abcdef", DateTimeOffset? at = null,
        string code = "200", string referer = "-", string agent = "curl/8.0") =>
        new("10.0.0.1", at, "GET", path, code, referer, agent, cookie);

    [Fact]
    public void Totals_visitors_and_top_paths_follow_the_applied_events()
    {
        var stats = new LiveStats(_time);
        stats.Apply(Hit("/i?p=a", "a".PadLeft(32, '0')));
        stats.Apply(Hit("/i?p=a", "b".PadLeft(32, '0')));
        stats.Apply(Hit("/i?p=b", "a".PadLeft(32, '0')));
        stats.Apply(Hit("/i?p=c", "-"));

        var snapshot = stats.Snapshot();
        Assert.Equal(4, snapshot.TotalEvents);
        Assert.Equal(2, snapshot.UniqueVisitors);
        Assert.True(snapshot.UniqueVisitorsExact);
        Assert.Equal([new Ranked("/i?p=a", 2), new Ranked("/i?p=b", 1), new Ranked("/i?p=c", 1)], snapshot.TopPaths);
    }

    [Fact]
    public void Events_per_second_averages_the_last_ten_full_seconds()
    {
        var stats = new LiveStats(_time);
        for (var second = 0; second < 10; second++)
        {
            for (var i = 0; i < 5; i++)
            {
                stats.Apply(Hit("/i"));
            }

            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(5.0, stats.Snapshot().EventsPerSecond);

        // Events of the second still running do not count yet; ten quiet seconds later the rate is 0.
        stats.Apply(Hit("/i"));
        Assert.Equal(5.0, stats.Snapshot().EventsPerSecond);
        _time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(0.0, stats.Snapshot().EventsPerSecond);
        Assert.Equal(51, stats.Snapshot().TotalEvents);
    }

    [Fact]
    public void Per_second_and_per_minute_series_place_hits_by_their_own_time()
    {
        var stats = new LiveStats(_time);
        stats.Apply(Hit("/i", at: Start));
        stats.Apply(Hit("/i", at: Start.AddSeconds(-1)));
        stats.Apply(Hit("/i", at: Start.AddSeconds(-1)));
        stats.Apply(Hit("/i", at: Start.AddMinutes(-10)));
        stats.Apply(Hit("/i", at: Start.AddMinutes(-90))); // replayed from long ago: totals only
        stats.Apply(Hit("/i", at: Start.AddMinutes(5)));   // a clock ahead of ours counts as now

        var s = stats.Snapshot();
        Assert.Equal(LiveStats.SecondsKept, s.PerSecond.Length);
        Assert.Equal(LiveStats.MinutesKept, s.PerMinute.Length);
        Assert.Equal([2, 2], s.PerSecond[^2..]);
        Assert.Equal(4, s.PerSecond.Sum());
        Assert.Equal([2, 2], s.PerMinute[^2..]); // 11:59 and 12:00
        Assert.Equal(1, s.PerMinute[^11]);
        Assert.Equal(5, s.PerMinute.Sum());
        Assert.Equal(6, s.TotalEvents);
    }

    [Fact]
    public void Now_is_the_last_five_minutes_and_is_kept_apart_from_the_last_thirty()
    {
        var stats = new LiveStats(_time);
        stats.Apply(Hit("/i", "old-visitor", at: Start.AddMinutes(-20)));
        stats.Apply(Hit("/i", "old-visitor", at: Start.AddMinutes(-19)));
        stats.Apply(Hit("/i", "new-visitor", at: Start.AddMinutes(-2)));
        stats.Apply(Hit("/i", "both", at: Start.AddMinutes(-25)));
        stats.Apply(Hit("/i", "both", at: Start.AddSeconds(-30)));
        stats.Apply(Hit("/i", "gone", at: Start.AddMinutes(-45)));

        var s = stats.Snapshot();
        Assert.Equal(new WindowCounts("5m", 2, 2), s.Now);
        Assert.Equal(new WindowCounts("30m", 5, 3), s.Last30Minutes);
        Assert.Equal(4, s.UniqueVisitors);

        // Six minutes on, "now" is empty while the 30-minute window still holds the recent ones.
        _time.Advance(TimeSpan.FromMinutes(6));
        s = stats.Snapshot();
        Assert.Equal(new WindowCounts("5m", 0, 0), s.Now);
        Assert.Equal(new WindowCounts("30m", 4, 3), s.Last30Minutes); // the 11:35 hit left the window, its visitor came back since
    }

    [Fact]
    public void Query_parameters_referrer_domains_and_status_codes_are_ranked()
    {
        var stats = new LiveStats(_time);
        stats.Apply(Hit("/i?param=testing&page=%2Fhome", referer: "https://www.example.com/a?b=c"));
        stats.Apply(Hit("/i?param=testing", referer: "https://example.com/other", code: "200"));
        stats.Apply(Hit("/i?param=other", referer: "http://news.ycombinator.com/", code: "404"));
        stats.Apply(Hit("/i", referer: "-", code: "304"));
        stats.Apply(Hit("/i", referer: "not a url", code: "200"));

        var s = stats.Snapshot();
        Assert.Equal([new Ranked("param=testing", 2), new Ranked("page=/home", 1), new Ranked("param=other", 1)], s.TopQueryParameters);
        Assert.Equal([new Ranked("example.com", 2), new Ranked("(direct)", 1), new Ranked("(invalid)", 1), new Ranked("news.ycombinator.com", 1)],
            s.TopReferrerDomains);
        Assert.Equal([new Ranked("200", 3), new Ranked("304", 1), new Ranked("404", 1)], s.StatusCodes);
    }

    [Fact]
    public void A_trackers_hit_counts_as_its_endpoint_and_its_parameters_are_left_to_the_site_view()
    {
        var stats = new LiveStats(_time);
        const string browser = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
        stats.Apply(Hit("/i?e=pv&eid=1&aid=shop&url=https%3A%2F%2Fshop.example%2Fa&page=A&param=kept", agent: browser));
        stats.Apply(Hit("/i?tv=cs-1&e=pp&eid=2&aid=shop&et=500", agent: browser));
        stats.Apply(Hit("/i.gif?e=pv&eid=3&aid=shop", agent: browser));
        stats.Apply(Hit("/i?param=testing&exact=1"));

        var s = stats.Snapshot();
        Assert.Equal([new Ranked("/i", 2), new Ranked("/i.gif", 1), new Ranked("/i?param=testing&exact=1", 1)], s.TopPaths);
        Assert.Equal([new Ranked("exact=1", 1), new Ranked("param=testing", 1)], s.TopQueryParameters);
        Assert.Equal(2, stats.Sites.Snapshot("shop")!.Pageviews);
    }

    [Fact]
    public void Browsers_systems_devices_and_bot_share_come_from_the_user_agent()
    {
        var stats = new LiveStats(_time);
        const string chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        const string iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
        stats.Apply(Hit("/i", agent: chrome));
        stats.Apply(Hit("/i", agent: chrome));
        stats.Apply(Hit("/i", agent: iphone));
        stats.Apply(Hit("/i", agent: "curl/8.0"));

        var s = stats.Snapshot();
        Assert.Equal([new Ranked("Chrome", 2), new Ranked("Safari", 1), new Ranked("curl", 1)], s.Browsers);
        Assert.Equal([new Ranked("Windows", 2), new Ranked("Other", 1), new Ranked("iOS", 1)], s.OperatingSystems);
        Assert.Equal([new Ranked("Desktop", 2), new Ranked("Bot", 1), new Ranked("Phone", 1)], s.Devices);
        Assert.Equal(0.25, s.BotShare);
    }

    [Fact]
    public void Freshness_percentiles_cover_the_last_minute_of_applied_hits()
    {
        var stats = new LiveStats(_time);
        Assert.Null(stats.Snapshot().FreshnessP50Ms);
        for (var i = 1; i <= 100; i++)
        {
            stats.Apply(Hit("/i", at: Start.AddMilliseconds(-i * 10))); // 10 ms … 1000 ms old
        }

        var s = stats.Snapshot();
        Assert.Equal(500, s.FreshnessP50Ms);
        Assert.Equal(990, s.FreshnessP99Ms);

        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Null(stats.Snapshot().FreshnessP99Ms);
    }

    [Fact]
    public void Duplicates_malformed_and_lost_are_counted_apart_from_events()
    {
        var stats = new LiveStats(_time);
        stats.DuplicateDropped();
        stats.MalformedSkipped();
        stats.MalformedSkipped();
        stats.Lost(7);

        var snapshot = stats.Snapshot();
        Assert.Equal(0, snapshot.TotalEvents);
        Assert.Equal(1, snapshot.DuplicatesDropped);
        Assert.Equal(2, snapshot.MalformedSkipped);
        Assert.Equal(7, snapshot.LostToOffsetResets);
    }
}
