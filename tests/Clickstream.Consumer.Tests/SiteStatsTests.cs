using System.Diagnostics.Metrics;
using Clickstream.Consumer.Consuming;
using Clickstream.Consumer.Stats;
using Clickstream.Contracts.Analytics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Clickstream.Consumer.Tests;

public sealed class SiteStatsTests
{
    private const string Chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    private static readonly DateTimeOffset Noon = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static ClickEvent Hit(string query, string cookie = "c1", DateTimeOffset? at = null, string agent = Chrome, string referer = "https://shop.example.com/", string remote = "203.0.113.7") =>
        new(remote, at ?? Noon, "GET", "/i?" + query, "200", referer, agent, cookie);

    private static string Pv(string site, string url, string refr = "", string eid = "", string title = "") =>
        $"e=pv&aid={site}&url={Uri.EscapeDataString(url)}&refr={Uri.EscapeDataString(refr)}&eid={eid}&page={Uri.EscapeDataString(title)}";

    [Fact]
    public void Pages_sessions_sources_campaigns_and_bounces_per_site()
    {
        var time = new FakeTimeProvider(Noon.AddMinutes(1));
        var stats = new LiveStats(time);
        stats.Apply(Hit(Pv("shop", "https://shop.example.com/?utm_source=newsletter&utm_medium=email&utm_campaign=winter", "https://mail.google.com/", "e1")));
        stats.Apply(Hit(Pv("shop", "https://shop.example.com/p/1", "https://shop.example.com/", "e2"), at: Noon.AddSeconds(10)));
        stats.Apply(Hit(Pv("shop", "https://shop.example.com/p/1", "https://www.google.com/", "e3"), cookie: "c2"));
        stats.Apply(Hit("e=ue&aid=shop&ue_pr=" + Uri.EscapeDataString("""{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"iglu:io.clickstream/event/jsonschema/1-0-0","data":{"name":"signup","props":{}}}}""") + "&eid=e4"));
        stats.Apply(Hit("e=pp&aid=shop&et=4000&eid=e5"));
        stats.Apply(Hit(Pv("blog", "https://blog.example.org/", eid: "e6"), cookie: "c3"));

        var shop = stats.Sites.Snapshot("shop")!;
        Assert.Equal(3, shop.Pageviews);
        Assert.Equal(2, shop.Sessions);
        Assert.Equal(2, shop.Visitors);
        Assert.Equal(0.5, shop.BounceRate); // c1 saw two pages, c2 one
        Assert.Equal([new("/p/1", 2), new("/", 1)], shop.TopPages);
        Assert.Equal([new("/", 1), new("/p/1", 1)], shop.TopEntryPages);
        Assert.Equal([new("Google", 1), new("newsletter", 1)], shop.TopSources);
        Assert.Equal([new("winter", 1)], shop.TopCampaigns);
        Assert.Equal([new(Channels.Email, 1), new(Channels.OrganicSearch, 1)], shop.Channels);
        Assert.Equal([new("signup", 1)], shop.CustomEvents);
        Assert.Equal(2.0, shop.EngagedSecondsPerSession);
        Assert.Equal(2, shop.CurrentVisitors);

        var all = stats.Sites.Snapshot(null)!;
        Assert.Equal((4, 3, 3), (all.Pageviews, all.Sessions, all.Visitors));
        Assert.Equal(["shop", "blog"], stats.Sites.Sites().Select(s => s.Site));
        Assert.Null(stats.Sites.Snapshot("nowhere"));
    }

    [Fact]
    public void A_repeated_event_id_is_dropped_and_bots_are_counted_apart()
    {
        var stats = new LiveStats(new FakeTimeProvider(Noon));
        stats.Apply(Hit(Pv("shop", "https://shop.example.com/", eid: "same")));
        stats.Apply(Hit(Pv("shop", "https://shop.example.com/", eid: "same")));
        stats.Apply(Hit(Pv("shop", "https://shop.example.com/", eid: "bot1"), agent: "Mozilla/5.0 (compatible; Googlebot/2.1)"));
        stats.Apply(Hit(Pv("shop", "https://shop.example.com/", eid: "wd1") + "&wd=1", cookie: "c9"));

        var shop = stats.Sites.Snapshot("shop")!;
        Assert.Equal((1, 1, 1), (shop.Pageviews, shop.Visitors, shop.Sessions));
        Assert.Equal(2, shop.BotEvents);
        Assert.Equal(1, stats.Sites.DuplicateEventIds);
        Assert.Equal(4, stats.TotalEvents); // the pipeline's count is every line
    }

    [Fact]
    public void Visitors_without_a_cookie_are_counted_by_address_and_agent()
    {
        var stats = new LiveStats(new FakeTimeProvider(Noon));
        stats.Apply(Hit(Pv("shop", "https://shop.example.com/a"), cookie: "-"));
        stats.Apply(Hit(Pv("shop", "https://shop.example.com/b"), cookie: "-"));
        stats.Apply(Hit(Pv("shop", "https://shop.example.com/b"), cookie: "-", remote: "198.51.100.1"));
        var shop = stats.Sites.Snapshot("shop")!;
        Assert.Equal((3, 2, 2), (shop.Pageviews, shop.Visitors, shop.Sessions));
    }

    [Fact]
    public void Bad_tracker_input_counts_by_reason_in_the_metric_and_the_hit_still_counts()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var stats = new LiveStats(new FakeTimeProvider(Noon), meters);
        string[] bad =
        [
            "e=pv&aid=shop&page=%zz",                                        // invalid percent-encoding
            "e=pv&aid=shop&url=not%20a%20url",                               // url that is not a URL
            "e=pv&aid=shop&x=" + new string('q', 8 * 1024) + "&tv=late",    // 8 KiB query
            "e=nope&aid=shop",                                               // unknown e
            "e=ue&aid=shop&ue_px=%%%",                                       // malformed ue_px (and its encoding)
            "e=ue&aid=shop&ue_px=" + new string('A', 7_000),                 // huge ue_px (under the query cut)
            "e=pv&aid=sh%01op&url=" + Uri.EscapeDataString("https://shop.example.com/"), // control characters in aid
        ];
        foreach (var query in bad)
        {
            stats.Apply(Hit(query));
        }

        var measured = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Meter.Name == ConsumerMetrics.MeterName && instrument.Name == "consumer.analytics.problems")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            measured[(string)tags.ToArray().Single(t => t.Key == "reason").Value!] = value);
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal(new Dictionary<string, long>
        {
            ["invalid_percent_encoding"] = 2,
            ["invalid_url"] = 1,
            ["query_too_long"] = 1,
            ["unknown_event_type"] = 1,
            ["malformed_self_describing"] = 1,
            ["self_describing_too_large"] = 1,
            ["invalid_site_id"] = 1,
        }, measured);
        // Every hit still counts, on its site (the last one on its page's host); the unknown e and the events are no page views.
        Assert.Equal(bad.Length, stats.TotalEvents);
        Assert.Equal((6L, 3L), (stats.Sites.Snapshot("shop")!.Events, stats.Sites.Snapshot("shop")!.Pageviews));
        Assert.Equal((1L, 1L), (stats.Sites.Snapshot("shop.example.com")!.Events, stats.Sites.Snapshot("shop.example.com")!.Pageviews));
    }
}
