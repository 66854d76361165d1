using Clickstream.Shipper.Checkpoints;

namespace Clickstream.Shipper.Tests;

public sealed class AckTrackerTests
{
    [Fact]
    public void The_checkpoint_advances_only_over_a_contiguous_run_of_acknowledged_lines()
    {
        var tracker = new AckTracker(committed: 100);
        long[] ends = [110, 125, 140, 160];
        foreach (var end in ends)
        {
            tracker.Sent(end);
        }

        tracker.Acknowledged(140);
        Assert.Equal(100, tracker.Committed);
        tracker.Acknowledged(125);
        Assert.Equal(100, tracker.Committed);
        tracker.Acknowledged(110);
        Assert.Equal(140, tracker.Committed);
        Assert.Equal(1, tracker.PendingCount);
        tracker.Acknowledged(160);
        Assert.Equal(160, tracker.Committed);
        Assert.Equal(0, tracker.PendingCount);
    }

    [Fact]
    public void Any_order_of_acknowledgements_ends_at_the_last_line()
    {
        var random = new Random(7);
        for (var round = 0; round < 50; round++)
        {
            var tracker = new AckTracker(0);
            var ends = Enumerable.Range(1, 200).Select(i => (long)i * 10).ToList();
            ends.ForEach(tracker.Sent);
            var order = ends.OrderBy(_ => random.Next()).ToList();
            var acknowledged = new HashSet<long>();
            foreach (var end in order)
            {
                tracker.Acknowledged(end);
                acknowledged.Add(end);
                // Committed is the largest end such that every line up to it is acknowledged.
                var expected = ends.TakeWhile(acknowledged.Contains).DefaultIfEmpty(0).Last();
                Assert.Equal(expected, tracker.Committed);
            }

            Assert.Equal(2000, tracker.Committed);
        }
    }

    [Fact]
    public void Lines_must_be_recorded_in_file_order()
    {
        var tracker = new AckTracker(50);
        Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Sent(50));
        tracker.Sent(60);
        Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Sent(55));
    }
}
