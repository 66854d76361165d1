using System.IO.Hashing;
using System.Text;
using Clickstream.Consumer.Stats;
using Microsoft.Extensions.Time.Testing;

namespace Clickstream.Consumer.Tests;

/// <summary>The building blocks of <see cref="LiveStats"/>, each alone.</summary>
public sealed class AggregateTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void HyperLogLog_estimates_a_million_synthetic_visitors_within_three_standard_errors()
    {
        var sketch = new HyperLogLog(14);
        Span<byte> id = stackalloc byte[8];
        for (long i = 0; i < 1_000_000; i++)
        {
            BitConverter.TryWriteBytes(id, i);
            var hash = XxHash64.HashToUInt64(id);
            sketch.Add(hash);
            sketch.Add(hash); // a returning visitor changes nothing
        }

        var error = Math.Abs(sketch.Estimate() - 1_000_000) / 1_000_000.0;
        Assert.Equal(0.0081, sketch.StandardError, 4);
        Assert.True(error < 3 * sketch.StandardError, $"estimate {sketch.Estimate()}, relative error {error:P2}");
    }

    [Fact]
    public void HyperLogLog_is_close_for_small_counts_too()
    {
        var sketch = new HyperLogLog(14);
        for (var i = 0; i < 1_000; i++)
        {
            sketch.Add(UniqueCounter.Hash($"visitor-{i}"));
        }

        Assert.InRange(sketch.Estimate(), 980, 1_020);
    }

    [Fact]
    public void Unique_counter_is_exact_up_to_its_bound_then_estimates_with_the_stated_error()
    {
        var counter = new UniqueCounter(exactLimit: 1_000);
        for (var i = 0; i < 1_000; i++)
        {
            counter.Add($"v{i}");
            counter.Add($"v{i}");
        }

        Assert.True(counter.IsExact);
        Assert.Equal(1_000, counter.Count);
        Assert.Equal(0, counter.StandardError);

        for (var i = 1_000; i < 50_000; i++)
        {
            counter.Add($"v{i}");
        }

        Assert.False(counter.IsExact);
        Assert.True(counter.StandardError > 0);
        Assert.InRange(counter.Count, 50_000 * (1 - 3 * counter.StandardError), 50_000 * (1 + 3 * counter.StandardError));
    }

    [Fact]
    public void Time_buckets_count_per_bucket_and_forget_what_left_the_ring()
    {
        var buckets = new TimeBuckets(5, TimeSpan.FromSeconds(1));
        var now = Start;
        buckets.Add(now, now);
        buckets.Add(now, now);
        buckets.Add(now.AddSeconds(-2), now);
        buckets.Add(now.AddSeconds(-5), now); // older than the ring: ignored
        buckets.Add(now.AddSeconds(3), now);  // in the future: ignored
        Assert.Equal([0, 0, 1, 0, 2], buckets.Last(5, now));

        now = now.AddSeconds(3);
        Assert.Equal([0, 2, 0, 0, 0], buckets.Last(5, now));
        Assert.Equal(2, buckets.Sum(4, now));
        Assert.Equal(0, buckets.Sum(3, now));
        buckets.Add(now, now);
        now = now.AddSeconds(10);
        Assert.Equal([0, 0, 0, 0, 0], buckets.Last(5, now));
    }

    [Fact]
    public void Top_counter_ranks_by_count_then_key_and_sends_keys_beyond_its_bound_to_other()
    {
        var top = new TopCounter(maxKeys: 3);
        foreach (var key in new[] { "b", "a", "b", "c", "d", "e", "c", "b" })
        {
            top.Add(key);
        }

        Assert.Equal([new Ranked("b", 3), new Ranked(TopCounter.Other, 2), new Ranked("c", 2), new Ranked("a", 1)], top.Top(10));
        Assert.Equal([new Ranked("b", 3)], top.Top(1));
    }

    [Fact]
    public void Recent_events_come_newest_first_with_addresses_cut_unless_shown()
    {
        var recent = new RecentEvents(capacity: 3);
        for (var i = 0; i < 5; i++)
        {
            recent.Add(Encoding.UTF8.GetBytes($$"""{"remote":"10.1.2.{{i}}","time":"2026-11-24T12:00:00+00:00","method":"GET","path":"/i?n={{i}}","code":"200"}"""), 0, i);
        }

        var last = recent.Last(50, showRemoteAddresses: false);
        Assert.Equal(["/i?n=4", "/i?n=3", "/i?n=2"], last.Select(e => e.Path));
        Assert.All(last, e => Assert.Equal("10.1.2.0", e.Remote));
        Assert.Equal([4L, 3L, 2L], last.Select(e => e.Offset));
        Assert.Equal(Start, last[0].Time);
        Assert.Equal("10.1.2.4", recent.Last(1, showRemoteAddresses: true).Single().Remote);
        Assert.Equal("2001:db8:aa::", RecentEvents.Anonymize("2001:db8:aa:bb::1"));
        Assert.Equal("(hidden)", RecentEvents.Anonymize("not-an-ip"));
        Assert.Empty(new RecentEvents().Last(50, false));
    }

    [Fact]
    public void Percentiles_use_the_nearest_rank()
    {
        double[] sorted = [.. Enumerable.Range(1, 100).Select(i => (double)i)];
        Assert.Equal(50, LiveStats.Percentile(sorted, 0.50));
        Assert.Equal(99, LiveStats.Percentile(sorted, 0.99));
        Assert.Equal(7, LiveStats.Percentile([7], 0.99));
    }

    [Fact]
    public void A_fake_clock_is_what_the_stats_see()
    {
        // Guards the other tests: LiveStats reads time only through its TimeProvider.
        var time = new FakeTimeProvider(Start);
        var stats = new LiveStats(time);
        stats.Apply(new ClickEvent("1.1.1.1", null, "GET", "/i", "200", "-", "curl", "-"));
        Assert.Equal(Start, stats.Snapshot().LastEventAt);
    }
}

public sealed class ActiveVisitorsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_visitor_counts_once_at_their_last_visit_and_leaves_the_window_after_it()
    {
        var active = new ActiveVisitors(TimeSpan.FromMinutes(30));
        active.Seen(1, Now.AddMinutes(-10), Now);
        active.Seen(1, Now.AddMinutes(-1), Now);   // moves visitor 1 into "now"
        active.Seen(1, Now.AddMinutes(-20), Now);  // an older, late event changes nothing
        active.Seen(2, Now.AddMinutes(-7), Now);
        active.Seen(3, Now.AddMinutes(-31), Now);  // outside the horizon: ignored
        active.Seen(4, Now.AddSeconds(5), Now);    // in the future: ignored

        Assert.Equal(1, active.Count(TimeSpan.FromMinutes(5), Now));
        Assert.Equal(2, active.Count(TimeSpan.FromMinutes(30), Now));
        Assert.Equal(2, active.Tracked);

        var later = Now.AddMinutes(25); // visitor 1 was seen 26 min ago, visitor 2 32 min ago
        Assert.Equal(0, active.Count(TimeSpan.FromMinutes(5), later));
        Assert.Equal(1, active.Count(TimeSpan.FromMinutes(30), later));
        Assert.Equal(1, active.Tracked); // pruned
    }

    [Fact]
    public void The_tracking_bound_is_respected()
    {
        var active = new ActiveVisitors(TimeSpan.FromMinutes(30), maxVisitors: 2);
        for (ulong v = 0; v < 5; v++)
        {
            active.Seen(v, Now, Now);
        }

        Assert.Equal(2, active.Count(TimeSpan.FromMinutes(5), Now));
    }
}

public sealed class StringPoolTests
{
    [Fact]
    public void Repeated_values_share_one_string_up_to_the_bound()
    {
        var pool = new StringPool(maxStrings: 1);
        var line = """{"a":"Mozilla/5.0","b":"Mozilla/5.0","c":"other","d":"caf\u00e9"}"""u8.ToArray();
        var reader = new Clickstream.Contracts.AccessLogReader(line);
        var values = new List<string>();
        while (reader.Read())
        {
            // As ClickEvent does: an escaped value is unescaped by the reader, the rest pooled.
            values.Add(reader.ValueIsEscaped ? reader.GetString() : pool.Get(reader.Value));
        }

        Assert.Equal(["Mozilla/5.0", "Mozilla/5.0", "other", "café"], values);
        Assert.Same(values[0], values[1]);
        Assert.Equal(1, pool.Count);
    }
}
