using Clickstream.Consumer.Stats.History;

namespace Clickstream.Consumer.Stats.Sites;

/// <summary>A series point of a range.</summary>
public sealed record RangePoint(DateTimeOffset From, long Pageviews, long Visitors);

/// <summary>A range's figures as <c>/api/stats?range=</c> adds them under <c>range</c>.</summary>
public sealed record RangeSnapshot(string Name, string TimeZone, DateTimeOffset From, DateTimeOffset To, RangeFigures Figures, IReadOnlyList<RangePoint> Series);

public sealed partial class SiteStats
{
    /// <summary>For tests and measurements: one site's history.</summary>
    public SiteHistory? HistoryOf(string site)
    {
        lock (_gate)
        {
            return _sites.GetValueOrDefault(site)?.History;
        }
    }

    /// <summary>One site's (null: all sites') figures over <paramref name="range"/>; null when the site was never seen.</summary>
    public RangeSnapshot? Range(string? site, DateRange range)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            // All sites: every site's buckets merged (counts add, sketches merge to one estimate of the union).
            List<SiteHistory> histories = site is null ? [.. _sites.Values.Select(s => s.History!)]
                : _sites.GetValueOrDefault(site)?.History is { } one ? [one] : [];
            if (histories.Count == 0 && site is not null)
            {
                return null;
            }

            var series = range.Slots.Select(s => SiteHistory.Query(histories, s.From, s.To, now) is var f ? new RangePoint(s.From, f.Pageviews, f.Visitors) : null).ToList();
            return new RangeSnapshot(range.Name, range.TimeZone, range.From, range.To, SiteHistory.Query(histories, range.From, range.To, now), series);
        }
    }
}
