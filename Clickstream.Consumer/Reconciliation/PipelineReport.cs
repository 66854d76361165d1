using Clickstream.Contracts;

namespace Clickstream.Consumer.Reconciliation;

/// <summary>One stage of served → written → shipped → acked → applied; null when its service did not answer.</summary>
public sealed record Stage(string Name, long? Count);

/// <summary>The difference between two adjacent stages; <c>Ok</c> false turns the strip red.</summary>
public sealed record StageGap(string From, string To, long? Gap, bool Ok, string? Reason);

public sealed record PipelineReport(IReadOnlyList<Stage> Stages, IReadOnlyList<StageGap> Gaps, long? InFlight,
    long? LinesDropped, long? DeadLettered, long DuplicatesDropped, bool Ok, DateTimeOffset GeneratedAt)
{
    /// <summary>
    /// Compares the counters of each stage. Events legitimately between two stages are at most the
    /// shipper's in-flight count (sent but not yet acknowledged, or acknowledged but not yet applied, is
    /// a matter of milliseconds), so a gap above it is a loss or a stall; a downstream stage above its
    /// upstream means events were counted twice (the last hop: duplicates applied). A stage whose service
    /// did not answer is "n/a" and judges nothing. Counters are fetched one after the other, so under
    /// heavy load a gap can flicker for a second.
    /// </summary>
    public static PipelineReport Evaluate(PixelStats? pixel, ShipperStats? shipper, long applied, long duplicatesDropped, DateTimeOffset now)
    {
        Stage[] stages =
        [
            new("served", pixel?.HitsServed),
            new("written", pixel?.LinesWritten),
            new("shipped", shipper?.LinesSent),
            new("acked", shipper?.LinesAcked),
            new("applied", applied),
        ];
        var tolerance = shipper?.InFlight ?? 0;
        var gaps = new List<StageGap>(stages.Length - 1);
        for (var i = 1; i < stages.Length; i++)
        {
            var (from, to) = (stages[i - 1], stages[i]);
            if (from.Count is not { } up || to.Count is not { } down)
            {
                gaps.Add(new StageGap(from.Name, to.Name, null, true, null));
                continue;
            }

            var gap = up - down;
            var reason = gap > tolerance ? $"{gap} {from.Name} but not {to.Name}, more than the {tolerance} in flight"
                : gap < 0 && to.Name == "applied" ? $"{-gap} more applied than acked: duplicates were applied"
                : gap < 0 ? $"{-gap} more {to.Name} than {from.Name}"
                : null;
            // Only the last hop's surplus is our fault; earlier surpluses (a shipper reading logs of an
            // earlier pixel process) are reported but do not turn the strip red.
            var ok = reason is null || (gap < 0 && to.Name != "applied");
            gaps.Add(new StageGap(from.Name, to.Name, gap, ok, reason));
        }

        return new PipelineReport(stages, gaps, shipper?.InFlight, pixel?.LinesDropped, shipper?.DeadLettered, duplicatesDropped,
            gaps.All(g => g.Ok), now);
    }
}
