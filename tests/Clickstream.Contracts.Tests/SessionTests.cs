using Clickstream.Contracts.Analytics;
using Microsoft.Extensions.Time.Testing;

namespace Clickstream.Contracts.Tests;

public sealed class SessionTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private readonly AnalyticsEventReader _reader = new();

    private AnalyticsEvent PageView(string extra = "") => _reader.Read("/i?e=pv&aid=shop&url=https%3A%2F%2Fshop.example.com%2F" + extra, "-", "-");

    [Fact]
    public void A_visit_ends_after_30_minutes_without_events_not_before()
    {
        var time = new FakeTimeProvider(Noon);
        var sessions = new SessionTracker(time);
        var first = sessions.Track("shop", 1, PageView(), Noon);
        Assert.True(first.NewSession);
        Assert.True(first.NewVisitor);
        Assert.True(first.Entry);

        var atEdge = sessions.Track("shop", 1, PageView(), Noon + SessionTracker.Timeout);
        Assert.False(atEdge.NewSession);
        Assert.Equal(first.Session, atEdge.Session);
        Assert.True(atEdge.SecondPageView);

        var justAfter = sessions.Track("shop", 1, PageView(), Noon + SessionTracker.Timeout + SessionTracker.Timeout + TimeSpan.FromMilliseconds(1));
        Assert.True(justAfter.NewSession);
        Assert.NotEqual(first.Session, justAfter.Session);
        Assert.False(justAfter.NewVisitor); // seen before: returning
        Assert.True(justAfter.Entry);
    }

    [Fact]
    public void Sessions_are_per_site_and_per_visitor()
    {
        var sessions = new SessionTracker(new FakeTimeProvider(Noon));
        var a = sessions.Track("shop", 1, PageView(), Noon);
        var b = sessions.Track("blog", 1, PageView(), Noon);
        var c = sessions.Track("shop", 2, PageView(), Noon);
        Assert.True(a.NewSession && b.NewSession && c.NewSession);
        Assert.Equal(3, new[] { a.Session, b.Session, c.Session }.Distinct().Count());
    }

    [Fact]
    public void A_session_does_not_end_at_midnight()
    {
        var beforeMidnight = new DateTimeOffset(2026, 12, 2, 23, 50, 0, TimeSpan.Zero);
        var sessions = new SessionTracker(new FakeTimeProvider(beforeMidnight));
        var first = sessions.Track("shop", 7, PageView(), beforeMidnight);
        var next = sessions.Track("shop", 7, PageView(), beforeMidnight.AddMinutes(20));
        Assert.False(next.NewSession);
        Assert.Equal(first.Session, next.Session);
    }

    [Fact]
    public void Without_a_hit_time_the_time_provider_decides()
    {
        var time = new FakeTimeProvider(Noon);
        var sessions = new SessionTracker(time);
        var first = sessions.Track("shop", 1, PageView(), at: null);
        time.Advance(TimeSpan.FromMinutes(29));
        Assert.False(sessions.Track("shop", 1, PageView(), at: null).NewSession);
        time.Advance(TimeSpan.FromMinutes(31));
        var later = sessions.Track("shop", 1, PageView(), at: null);
        Assert.True(later.NewSession);
        Assert.NotEqual(first.Session, later.Session);
    }

    [Fact]
    public void The_trackers_sid_decides_when_present_and_vid_says_new_or_returning()
    {
        var sessions = new SessionTracker(new FakeTimeProvider(Noon));
        var first = sessions.Track("shop", 1, PageView("&sid=aaa&vid=3"), Noon);
        Assert.True(first.NewSession);
        Assert.False(first.NewVisitor); // vid 3: the tracker has seen two sessions before

        // Same sid an hour later: still the tracker's session.
        Assert.False(sessions.Track("shop", 1, PageView("&sid=aaa&vid=3"), Noon.AddHours(1)).NewSession);

        // A new sid a minute later: a new session.
        var next = sessions.Track("shop", 1, PageView("&sid=bbb&vid=4"), Noon.AddHours(1).AddMinutes(1));
        Assert.True(next.NewSession);
        Assert.NotEqual(first.Session, next.Session);

        Assert.True(sessions.Track("shop", 2, PageView("&sid=ccc&vid=1"), Noon).NewVisitor);
    }

    [Fact]
    public void Only_page_views_make_entries_and_end_bounces()
    {
        var sessions = new SessionTracker(new FakeTimeProvider(Noon));
        var ping = _reader.Read("/i?e=pp&aid=shop&et=5000", "-", "-");
        var started = sessions.Track("shop", 1, ping, Noon);
        Assert.True(started.NewSession);
        Assert.False(started.Entry);
        Assert.True(sessions.Track("shop", 1, PageView(), Noon.AddSeconds(1)).Entry);
        Assert.False(sessions.Track("shop", 1, ping, Noon.AddSeconds(2)).SecondPageView);
        Assert.True(sessions.Track("shop", 1, PageView(), Noon.AddSeconds(3)).SecondPageView);
    }

    [Fact]
    public void Beyond_its_bound_idle_visitors_are_forgotten_first()
    {
        var sessions = new SessionTracker(new FakeTimeProvider(Noon), maxTracked: 2);
        sessions.Track("shop", 1, PageView(), Noon);
        sessions.Track("shop", 2, PageView(), Noon.AddMinutes(20));
        sessions.Track("shop", 3, PageView(), Noon.AddMinutes(40)); // visitor 1 idle 40 min: pruned
        Assert.Equal(2, sessions.Tracked);
        Assert.False(sessions.Track("shop", 2, PageView(), Noon.AddMinutes(41)).NewSession);
    }

    [Fact]
    public void At_its_bound_a_stream_of_new_visitors_scans_the_open_sessions_once_a_minute_not_once_each()
    {
        // A load generator without cookies: every hit a new visitor, all within seconds, the bound soon reached.
        var sessions = new SessionTracker(new FakeTimeProvider(Noon), maxTracked: 1_000);
        for (var v = 0; v < 1_000; v++)
        {
            sessions.Track("shop", (ulong)v, PageView(), Noon.AddMilliseconds(v));
        }

        var before = sessions.Scans;
        for (var v = 1_000; v < 21_000; v++)
        {
            Assert.True(sessions.Track("shop", (ulong)v, PageView(), Noon.AddSeconds(1).AddMilliseconds(v)).NewSession);
        }

        Assert.Equal(1_000, sessions.Tracked);
        // 20,000 new visitors over 20 seconds of hit time: one scan (the first at the bound), not 20,000.
        Assert.Equal(1, sessions.Scans - before);

        // Later, with the early sessions idle past the timeout, the next new visitor's scan closes them.
        Assert.True(sessions.Track("shop", 99_999, PageView(), Noon.AddMinutes(31).AddSeconds(30)).NewSession);
        Assert.True(sessions.Tracked < 1_000, $"{sessions.Tracked} sessions still open");
    }

    [Fact]
    public void Sessions_idle_past_the_forget_time_close_and_their_visitors_still_return()
    {
        var sessions = new SessionTracker(new FakeTimeProvider(Noon));
        // A day of visitors, a new one every minute, each seen once: only the last hours' sessions stay open.
        for (var minute = 0; minute < 24 * 60; minute++)
        {
            sessions.Track("shop", (ulong)minute, PageView(), Noon.AddMinutes(minute));
        }

        var openAtMost = (int)(SessionTracker.Forget + SessionTracker.Timeout).TotalMinutes + 1;
        Assert.InRange(sessions.Tracked, (int)SessionTracker.Forget.TotalMinutes, openAtMost);
        Assert.Equal((24 * 60) - sessions.Tracked, sessions.Remembered);

        // The first visitor, back a day later: a new session of a returning visitor.
        var back = sessions.Track("shop", 0, PageView(), Noon.AddDays(1));
        Assert.True(back.NewSession);
        Assert.False(back.NewVisitor);
        Assert.True(sessions.Track("shop", 1_000_000, PageView(), Noon.AddDays(1)).NewVisitor);

        // A checkpoint keeps both the open sessions and the visitors remembered.
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            sessions.Save(writer);
        }

        stream.Position = 0;
        var restored = new SessionTracker(new FakeTimeProvider(Noon));
        restored.Load(new BinaryReader(stream));
        Assert.Equal((sessions.Tracked, sessions.Remembered), (restored.Tracked, restored.Remembered));
        Assert.False(restored.Track("shop", 5, PageView(), Noon.AddDays(2)).NewVisitor);
    }
}

public sealed class CookielessVisitorTests
{
    private const string Agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0";

    [Fact]
    public void The_same_browser_on_the_same_address_is_one_visitor_within_a_day()
    {
        var morning = new DateTimeOffset(2026, 12, 2, 0, 0, 1, TimeSpan.Zero);
        var time = new FakeTimeProvider(morning);
        var ids = new CookielessVisitorIds(time);
        var first = ids.Id("shop", "203.0.113.7", Agent, morning);
        time.Advance(TimeSpan.FromHours(23));
        Assert.Equal(first, ids.Id("shop", "203.0.113.7", Agent, morning.AddHours(23).AddMinutes(59)));
        Assert.NotEqual(first, ids.Id("blog", "203.0.113.7", Agent, morning));
        Assert.NotEqual(first, ids.Id("shop", "203.0.113.8", Agent, morning));
        Assert.NotEqual(first, ids.Id("shop", "203.0.113.7", Agent + " ", morning));
    }

    [Fact]
    public void Across_days_the_id_changes_and_old_keys_are_dropped()
    {
        var evening = new DateTimeOffset(2026, 12, 2, 23, 59, 59, TimeSpan.Zero);
        var time = new FakeTimeProvider(evening);
        var ids = new CookielessVisitorIds(time);
        var today = ids.Id("shop", "203.0.113.7", Agent, evening);
        time.Advance(TimeSpan.FromSeconds(2));
        var tomorrow = ids.Id("shop", "203.0.113.7", Agent, evening.AddSeconds(2));
        Assert.NotEqual(today, tomorrow);
        // A late hit of yesterday still gets yesterday's id (its key is kept one more day)...
        Assert.Equal(today, ids.Id("shop", "203.0.113.7", Agent, evening));
        Assert.Equal(2, ids.KeysHeld);

        // ...and two days on, yesterday's key is gone: nobody can recompute its ids.
        time.Advance(TimeSpan.FromDays(2));
        ids.Id("shop", "203.0.113.7", Agent, time.GetUtcNow());
        Assert.Equal(1, ids.KeysHeld);
        Assert.NotEqual(today, ids.Id("shop", "203.0.113.7", Agent, evening));
    }

    [Fact]
    public void Two_processes_never_share_a_key()
    {
        var at = new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
        var a = new CookielessVisitorIds(new FakeTimeProvider(at)).Id("shop", "203.0.113.7", Agent, at);
        var b = new CookielessVisitorIds(new FakeTimeProvider(at)).Id("shop", "203.0.113.7", Agent, at);
        Assert.NotEqual(a, b);
    }
}
