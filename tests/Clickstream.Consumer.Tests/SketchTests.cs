using System.IO.Hashing;
using Clickstream.Consumer.Checkpoints;
using Clickstream.Consumer.Stats;
using Clickstream.Consumer.Stats.History;

namespace Clickstream.Consumer.Tests;

/// <summary>The history's bounded structures against exact counts on synthetic data.</summary>
public sealed class SketchTests
{
    /// <summary>Page keys with a long tail: key i drawn with probability ~ 1 / (i + 1)^1.1 over <paramref name="keys"/> keys.</summary>
    private static List<string> Zipf(int n, int keys, int seed)
    {
        var weights = Enumerable.Range(0, keys).Select(i => 1 / Math.Pow(i + 1, 1.1)).ToArray();
        var cumulative = new double[keys];
        for (var (i, sum) = (0, 0.0); i < keys; i++)
        {
            cumulative[i] = sum += weights[i];
        }

        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ =>
        {
            var at = Array.BinarySearch(cumulative, random.NextDouble() * cumulative[^1]);
            return $"/p{(at < 0 ? ~at : at)}";
        })];
    }

    [Fact]
    public void Heavy_hitters_are_exact_while_keys_fit_and_otherwise_within_their_error_bound()
    {
        var few = new HeavyHitters(8);
        foreach (var key in (string[])["a", "b", "a", "c", "a", "b"])
        {
            few.Add(key);
        }

        Assert.True(few.Exact);
        Assert.Equal((3, 2, 1), (few.Get("a"), few.Get("b"), few.Get("c")));

        const int capacity = 50;
        var events = Zipf(100_000, 2_000, seed: 1);
        var exact = events.GroupBy(k => k).ToDictionary(g => g.Key, g => (long)g.Count());
        var table = new HeavyHitters(capacity);
        events.ForEach(k => table.Add(k));

        Assert.False(table.Exact);
        Assert.Equal(capacity, table.Count);
        Assert.Equal(events.Count, table.Entries.ToArray().Sum(e => e.Count)); // the counts still add up to N
        foreach (var entry in table.Entries)
        {
            Assert.InRange(exact[entry.Key], entry.Count - entry.Error, entry.Count);
            Assert.True(entry.Error <= events.Count / capacity, $"{entry.Key}: error {entry.Error}");
        }

        // Every key above N / capacity is kept, and the true top 5 lead the table.
        foreach (var (key, count) in exact.Where(p => p.Value > events.Count / capacity))
        {
            Assert.True(table.Get(key) >= count, key);
        }

        var top = table.Entries.ToArray().OrderByDescending(e => e.Count).Take(5).Select(e => e.Key);
        Assert.Equal(exact.OrderByDescending(p => p.Value).Take(5).Select(p => p.Key), top);
    }

    [Fact]
    public void A_range_merged_from_hour_tables_is_off_by_at_most_the_sum_of_their_bounds()
    {
        var history = new Dictionary<string, long>();
        var merged = new Dictionary<string, long>();
        double bound = 0;
        for (var hour = 0; hour < 24; hour++)
        {
            var events = Zipf(3_000, 500, seed: 100 + hour);
            var table = new HeavyHitters(SiteHistory.HourTops.Pages);
            events.ForEach(k => table.Add(k));
            events.ForEach(k => history[k] = history.GetValueOrDefault(k) + 1);
            foreach (var entry in table.Entries)
            {
                merged[entry.Key] = merged.GetValueOrDefault(entry.Key) + entry.Count;
            }

            bound += (double)events.Count / table.Capacity;
        }

        foreach (var (key, count) in merged)
        {
            Assert.InRange(count, history[key] - bound, history[key] + bound);
        }

        // The day's top 3 pages are the merged tables' top 3.
        Assert.Equal(history.OrderByDescending(p => p.Value).Take(3).Select(p => p.Key), merged.OrderByDescending(p => p.Value).Take(3).Select(p => p.Key));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(700)]
    [InlineData(5_000)]
    [InlineData(200_000)]
    public void Visitor_sketches_estimate_within_their_error_sparse_or_dense_and_survive_a_checkpoint(int visitors)
    {
        var sketch = new VisitorSketch();
        var reference = new HyperLogLog(VisitorSketch.Precision);
        for (var i = 0; i < visitors; i++)
        {
            var hash = XxHash64.HashToUInt64(BitConverter.GetBytes(i));
            sketch.Add(hash);
            sketch.Add(hash); // a visitor seen twice counts once
            reference.Add(hash);
        }

        // The same registers as a plain HyperLogLog of that precision, in whatever form.
        Assert.Equal(reference.Estimate(), sketch.Estimate());
        Assert.InRange(sketch.Estimate(), visitors * (1 - (4 * VisitorSketch.StandardError)) - 1, visitors * (1 + (4 * VisitorSketch.StandardError)) + 1);
        Assert.True(visitors > 1_000 ? sketch.Size == VisitorSketch.Registers : sketch.Size <= visitors, $"{sketch.Size} registers held");

        using var stream = new MemoryStream();
        using (var writer = new CheckpointWriter(stream))
        {
            sketch.Save(writer);
        }

        Assert.True(stream.Length <= Math.Min((3 * visitors) + 5, VisitorSketch.Registers + 5), $"{stream.Length} bytes for {visitors} visitors");
        stream.Position = 0;
        using var reader = new CheckpointReader(stream, CheckpointFormat.Version);
        var loaded = VisitorSketch.Load(reader);
        Assert.Equal(stream.Length, stream.Position);
        Assert.Equal(sketch.Estimate(), loaded.Estimate());
    }
}
