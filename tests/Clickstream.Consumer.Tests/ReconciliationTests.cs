using Clickstream.Contracts;
using Clickstream.Consumer.Reconciliation;

namespace Clickstream.Consumer.Tests;

public sealed class ReconciliationTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static ShipperStats Shipper(long sent, long acked, long inFlight) => new(sent, sent, acked, 0, inFlight, 12.5);

    [Fact]
    public void Equal_counts_all_along_are_green()
    {
        var report = PipelineReport.Evaluate(new PixelStats(100, 100, 0), Shipper(100, 100, 0), 100, 3, Now);
        Assert.True(report.Ok);
        Assert.Equal(["served", "written", "shipped", "acked", "applied"], report.Stages.Select(s => s.Name));
        Assert.All(report.Gaps, g => Assert.Equal(0, g.Gap));
        Assert.Equal(3, report.DuplicatesDropped);
    }

    [Fact]
    public void Gaps_within_the_shippers_in_flight_count_are_green_and_beyond_it_red()
    {
        // 10 sent but not acked, 10 in flight: normal.
        Assert.True(PipelineReport.Evaluate(new PixelStats(100, 100, 0), Shipper(100, 90, 10), 90, 0, Now).Ok);

        // 10 acked but not applied with nothing in flight: the consumer is behind or lost them.
        var behind = PipelineReport.Evaluate(new PixelStats(100, 100, 0), Shipper(100, 100, 0), 90, 0, Now);
        Assert.False(behind.Ok);
        var gap = Assert.Single(behind.Gaps, g => !g.Ok);
        Assert.Equal(("acked", "applied", 10L), (gap.From, gap.To, gap.Gap!.Value));
        Assert.Contains("more than the 0 in flight", gap.Reason);

        // Served but never written (the pixel's buffer dropped lines): red at the first hop.
        var dropped = PipelineReport.Evaluate(new PixelStats(100, 95, 5), Shipper(95, 95, 2), 95, 0, Now);
        Assert.Equal(["served→written"], dropped.Gaps.Where(g => !g.Ok).Select(g => $"{g.From}→{g.To}"));
    }

    [Fact]
    public void More_applied_than_acked_means_duplicates_were_applied_and_is_red()
    {
        var report = PipelineReport.Evaluate(new PixelStats(100, 100, 0), Shipper(100, 100, 50), 101, 0, Now);
        Assert.False(report.Ok);
        Assert.Contains("duplicates were applied", Assert.Single(report.Gaps, g => !g.Ok).Reason);
    }

    [Fact]
    public void An_unreachable_service_is_not_available_and_judges_nothing()
    {
        var report = PipelineReport.Evaluate(null, null, 42, 0, Now);
        Assert.True(report.Ok);
        Assert.Equal([null, null, null, null, 42L], report.Stages.Select(s => s.Count));
        Assert.All(report.Gaps, g => Assert.Null(g.Gap));

        // Pixel down, shipper up: the hops from shipped on are judged.
        var half = PipelineReport.Evaluate(null, Shipper(10, 10, 0), 7, 0, Now);
        Assert.False(half.Ok);
        Assert.Equal([null, null, 0L, 3L], half.Gaps.Select(g => g.Gap));
    }

    [Fact]
    public void A_shipper_that_read_more_than_this_pixel_wrote_is_reported_but_not_red()
    {
        // Logs of an earlier pixel process: the shipper ships more than this pixel wrote.
        var report = PipelineReport.Evaluate(new PixelStats(10, 10, 0), Shipper(50, 50, 0), 50, 0, Now);
        Assert.True(report.Ok);
        Assert.Equal(-40, report.Gaps[1].Gap);
        Assert.NotNull(report.Gaps[1].Reason);
    }
}
