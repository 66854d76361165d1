using Clickstream.Shipper.Checkpoints;
using Clickstream.Shipper.Delivery;

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
            tracker.Track(end);
        }

        tracker.Finalized(140, DeliveryOutcome.Delivered);
        Assert.Equal(100, tracker.Committed);
        tracker.Finalized(125, DeliveryOutcome.Delivered);
        Assert.Equal(100, tracker.Committed);
        tracker.Finalized(110, DeliveryOutcome.Delivered);
        Assert.Equal(140, tracker.Committed);
        Assert.Equal(1, tracker.PendingCount);
        tracker.Finalized(160, DeliveryOutcome.Delivered);
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
            ends.ForEach(e => tracker.Track(e));
            var order = ends.OrderBy(_ => random.Next()).ToList();
            var acknowledged = new HashSet<long>();
            foreach (var end in order)
            {
                tracker.Finalized(end, DeliveryOutcome.Delivered);
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
        Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Track(50));
        tracker.Track(60);
        Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Track(55));
    }

    [Fact]
    public async Task Acknowledgements_from_many_threads_while_lines_are_still_sent_never_move_past_a_gap()
    {
        var tracker = new AckTracker(0);
        const int lines = 20_000;
        var sent = new System.Collections.Concurrent.BlockingCollection<long>();
        var withheld = 12_345L * 10; // acknowledged last: the checkpoint must wait for it
        var acknowledgers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            foreach (var end in sent.GetConsumingEnumerable())
            {
                if (end != withheld)
                {
                    tracker.Finalized(end, DeliveryOutcome.Delivered);
                    Assert.True(tracker.Committed < withheld, $"committed {tracker.Committed} past the unacknowledged line ending at {withheld}");
                }
            }
        })).ToArray();
        for (var i = 1; i <= lines; i++)
        {
            tracker.Track(i * 10L);
            sent.Add(i * 10L);
        }

        sent.CompleteAdding();
        await Task.WhenAll(acknowledgers);
        Assert.Equal(withheld - 10, tracker.Committed);
        tracker.Finalized(withheld, DeliveryOutcome.Delivered);
        Assert.Equal(lines * 10L, tracker.Committed);
        Assert.Equal(0, tracker.PendingCount);
    }

    [Fact]
    public void A_line_acknowledged_twice_or_before_it_is_tracked_does_not_move_the_checkpoint_wrongly()
    {
        var tracker = new AckTracker(0);
        tracker.Track(10);
        tracker.Track(20);
        tracker.Finalized(20, DeliveryOutcome.Delivered);
        tracker.Finalized(20, DeliveryOutcome.Delivered);
        Assert.Equal(0, tracker.Committed);
        tracker.Finalized(10, DeliveryOutcome.Delivered);
        Assert.Equal(20, tracker.Committed);
    }

    [Fact]
    public void A_finalization_reports_the_sent_lines_it_moved_the_checkpoint_over_not_each_acknowledged_line()
    {
        var tracker = new AckTracker(0);
        tracker.Track(10, windowBytes: 9);
        tracker.Track(20, windowBytes: 9);
        tracker.Track(30); // a dead-lettered line: never sent, holds nothing of the window
        tracker.Track(40, windowBytes: 9);

        Assert.Equal(default, tracker.Finalized(20, DeliveryOutcome.Delivered));
        Assert.Equal(default, tracker.Finalized(30, DeliveryOutcome.Rejected));
        Assert.Equal(default, tracker.Finalized(40, DeliveryOutcome.Delivered)); // all wait behind the line ending at 10

        Assert.Equal(new FoldedLines(3, 27), tracker.Finalized(10, DeliveryOutcome.Delivered));
        Assert.Equal(40, tracker.Committed);
        Assert.Equal(default, tracker.Finalized(10, DeliveryOutcome.Delivered)); // folded already: frees nothing twice
    }

    [Fact]
    public void Rejected_and_dropped_lines_are_finalized_as_such_not_as_delivered_and_the_checkpoint_still_moves_over_them_in_order()
    {
        var tracker = new AckTracker(0);
        tracker.Track(10);
        tracker.Track(20);
        tracker.Track(30);

        tracker.Finalized(20, DeliveryOutcome.Rejected);
        tracker.Finalized(30, DeliveryOutcome.Dropped);
        Assert.Equal(0, tracker.Committed); // behind the line ending at 10
        Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Finalized(10, DeliveryOutcome.Errored));
        Assert.Equal(0, tracker.Committed); // an errored line is sent again, not finalized
        tracker.Finalized(10, DeliveryOutcome.Delivered);

        Assert.Equal(30, tracker.Committed);
        Assert.Equal((1L, 1L, 1L), (tracker.DeliveredCount, tracker.RejectedCount, tracker.DroppedCount));
    }
}
