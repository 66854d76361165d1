using Clickstream.Consumer.Stats;
using Microsoft.Extensions.Time.Testing;

namespace Clickstream.Consumer.Tests;

public sealed class LiveStatsTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    private static ClickEvent Hit(string path, string cookie = "0123456789abcdef0123456789abcdef") =>
        new("10.0.0.1", null, "GET", path, "200", "-", "curl", cookie);

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
