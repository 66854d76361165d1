using System.Text;
using Clickstream.Consumer.Stats;
using Clickstream.Consumer.Stats.History;
using Microsoft.Extensions.Time.Testing;

namespace Clickstream.Consumer.Tests;

/// <summary>Ranges over 30 days of synthetic hits, driven by a fake clock, in two time zones.</summary>
public sealed class RangeTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 5, 0, 0, 0, TimeSpan.Zero);

    /// <summary>30 days and 3.5 hours of hits, every hour at minutes 7 and 59, 1–5 page views each, 60 visitors.</summary>
    private static (LiveStats Stats, FakeTimeProvider Time, List<(DateTimeOffset At, string Site, int Visitor)> Hits) ThirtyDays()
    {
        var time = new FakeTimeProvider(Start);
        var stats = new LiveStats(time);
        var hits = new List<(DateTimeOffset, string, int)>();
        for (var hour = 0; hour < (30 * 24) + 3; hour++)
        {
            foreach (var minute in (int[])[7, 59])
            {
                var at = Start.AddHours(hour).AddMinutes(minute);
                time.SetUtcNow(at.AddSeconds(1));
                for (var n = 0; n < 1 + ((hour * 7) + minute) % 5; n++)
                {
                    var site = n % 2 == 0 ? "shop" : "blog";
                    var visitor = (hour + n) % 60;
                    stats.Apply(ClickEvent.Parse(Encoding.UTF8.GetBytes(TopicFixture.Line(hour, $"{visitor:x32}", at,
                        path: $"/i?aid={site}&e=pv&url=https%3A%2F%2Fexample.com%2Fp{n}")))!);
                    hits.Add((at, site, visitor));
                }
            }
        }

        time.SetUtcNow(Start.AddHours((30 * 24) + 3).AddMinutes(30)); // 2026-12-05T03:30Z: still Dec 4 in New York
        return (stats, time, hits);
    }

    [Theory]
    [InlineData("UTC", "2026-12-05T00:00:00Z", "2026-12-04T00:00:00Z")]
    [InlineData("America/New_York", "2026-12-04T05:00:00Z", "2026-12-03T05:00:00Z")]
    public void Today_yesterday_7d_and_30d_count_exactly_the_hits_of_their_local_days(string zoneId, string todayStarts, string yesterdayStarts)
    {
        var (stats, time, hits) = ThirtyDays();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var now = time.GetUtcNow();
        var today = DateRange.Resolve("today", null, null, zone, now, out _)!;
        var yesterday = DateRange.Resolve("yesterday", null, null, zone, now, out _)!;
        Assert.Equal(DateTimeOffset.Parse(todayStarts, System.Globalization.CultureInfo.InvariantCulture), today.From);
        Assert.Equal(DateTimeOffset.Parse(yesterdayStarts, System.Globalization.CultureInfo.InvariantCulture), yesterday.From);
        Assert.Equal(today.From, yesterday.To);

        foreach (var name in (string[])["today", "yesterday", "7d", "30d", "realtime"])
        {
            var range = DateRange.Resolve(name, null, null, zone, now, out var error)!;
            Assert.Null(error);
            foreach (var site in (string?[])["shop", "blog", null])
            {
                var expected = hits.Where(h => h.At >= range.From && h.At < range.To && (site is null || h.Site == site)).ToList();
                var snapshot = stats.Sites.Range(site, range)!;
                Assert.False(snapshot.Figures.Approximate, $"{name} {site}");
                Assert.Equal(expected.Count, snapshot.Figures.Pageviews);
                Assert.Equal(expected.Count, snapshot.Series.Sum(p => p.Pageviews));
                var visitors = expected.Select(h => h.Visitor).Distinct().Count();
                Assert.InRange(snapshot.Figures.Visitors, visitors * (1 - (3 * VisitorSketch.StandardError)) - 1, visitors * (1 + (3 * VisitorSketch.StandardError)) + 1);
            }
        }

        Assert.Equal(7, DateRange.Resolve("7d", null, null, zone, now, out _)!.Slots.Count);
        Assert.Equal(30, DateRange.Resolve("30d", null, null, zone, now, out _)!.Slots.Count);
        // 30d reaches back before the first hit: every hit of the site is in it.
        Assert.True(hits.Count(h => h.Site == "shop") > stats.Sites.Range("shop", DateRange.Resolve("7d", null, null, zone, now, out _)!)!.Figures.Pageviews);
    }

    [Fact]
    public void Explicit_from_and_to_are_local_dates_or_instants_and_nonsense_is_refused()
    {
        var (stats, time, hits) = ThirtyDays();
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var range = DateRange.Resolve(null, "2026-11-10", "2026-11-20", zone, time.GetUtcNow(), out _)!;
        Assert.Equal(new DateTimeOffset(2026, 11, 10, 5, 0, 0, TimeSpan.Zero), range.From);
        Assert.Equal(10, range.Slots.Count);
        Assert.Equal(hits.Count(h => h.At >= range.From && h.At < range.To), stats.Sites.Range(null, range)!.Figures.Pageviews);

        var instants = DateRange.Resolve(null, "2026-11-10T10:00:00Z", "2026-11-10T12:00:00Z", zone, time.GetUtcNow(), out _)!;
        Assert.Equal(hits.Count(h => h.At >= instants.From && h.At < instants.To), stats.Sites.Range(null, instants)!.Figures.Pageviews);
        // Local 05:30 without an offset is New York time; its minutes are long gone, so its whole hour answers, flagged.
        var halfHour = DateRange.Resolve(null, "2026-11-10T05:30:00", "2026-11-10T07:00:00", zone, time.GetUtcNow(), out _)!;
        Assert.Equal(new DateTimeOffset(2026, 11, 10, 10, 30, 0, TimeSpan.Zero), halfHour.From);
        var approximate = stats.Sites.Range(null, halfHour)!.Figures;
        Assert.True(approximate.Approximate);
        Assert.Equal(hits.Count(h => h.At >= halfHour.From.AddMinutes(-30) && h.At < halfHour.To), approximate.Pageviews);

        Assert.Null(DateRange.Resolve("lastyear", null, null, zone, time.GetUtcNow(), out var error));
        Assert.Contains("range must be one of", error, StringComparison.Ordinal);
        Assert.Null(DateRange.Resolve(null, "2026-11-20", "2026-11-10", zone, time.GetUtcNow(), out _));
        Assert.Null(DateRange.Resolve(null, "yesterday-ish", null, zone, time.GetUtcNow(), out _));
    }

    [Fact]
    public void Minute_buckets_stay_within_48_hours_and_hour_buckets_within_90_days()
    {
        var (stats, _, _) = ThirtyDays();
        var history = stats.Sites.HistoryOf("shop")!;
        // 2 minute buckets an hour for 48 h, 24 hours a day for 31 days, 31 days.
        Assert.InRange(history.BucketCount, 1, (2 * 49) + (24 * 31) + 31);
    }
}

/// <summary>The range parameters of <c>/api/stats</c> over HTTP.</summary>
public sealed class RangeApiTests
{
    [Fact]
    public async Task Stats_with_a_range_adds_its_figures_and_series_and_a_bad_range_is_a_400()
    {
        await using var topic = new TopicFixture();
        topic.ProduceHits(0, 30);
        topic.Flush();
        await using var factory = new ConsumerFactory(topic.BootstrapServers, new Dictionary<string, string> { ["Ranges:TimeZones:example.com"] = "Asia/Kolkata" });
        using var client = factory.CreateClient();
        Assert.True(await Clickstream.Tests.TestEnvironment.EventuallyAsync(async () =>
            (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.JsonElement>(client, "/api/stats")).GetProperty("totalEvents").GetInt64() == 30,
            TimeSpan.FromSeconds(30)));

        foreach (var (range, slots) in (ValueTuple<string, int>[])[("realtime", 30), ("today", 24), ("7d", 7), ("30d", 30)])
        {
            var document = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.JsonElement>(client, $"/api/stats?site=example.com&range={range}");
            var r = document.GetProperty("range");
            Assert.Equal(range, r.GetProperty("name").GetString());
            Assert.Equal("Asia/Kolkata", r.GetProperty("timeZone").GetString());
            Assert.Equal(30, r.GetProperty("figures").GetProperty("pageviews").GetInt64());
            Assert.Equal(30, r.GetProperty("figures").GetProperty("visitors").GetInt64()); // 30 of 40 visitors, sketch exact this small
            Assert.Equal(30, r.GetProperty("series").EnumerateArray().Sum(p => p.GetProperty("pageviews").GetInt64()));
            Assert.InRange(r.GetProperty("series").GetArrayLength(), slots - 1, slots + 1); // a DST day has 23 or 25 hours
        }

        var yesterday = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.JsonElement>(client, "/api/stats?range=yesterday");
        Assert.Equal("UTC", yesterday.GetProperty("range").GetProperty("timeZone").GetString());
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await client.GetAsync("/api/stats?range=forever")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await client.GetAsync("/api/stats?from=2026-12-01&to=2026-11-01")).StatusCode);
    }
}
