using Clickstream.Consumer.Stats.History;

namespace Clickstream.Consumer.Stats.Sites;

/// <summary>A series point of a range.</summary>
public sealed record RangePoint(DateTimeOffset From, long Pageviews, long Visitors);

/// <summary>A range's figures as <c>/api/stats?range=</c> adds them under <c>range</c>.</summary>
public sealed record RangeSnapshot(string Name, string TimeZone, DateTimeOffset From, DateTimeOffset To, RangeFigures Figures, IReadOnlyList<RangePoint> Series);

public sealed partial class SiteStats
{
    /// <summary>For tests and measurements: one site's history (null: all sites').</summary>
    internal SiteHistory? HistoryOf(string? site)
    {
        lock (_gate)
        {
            return (site is null ? _all : _sites.GetValueOrDefault(site))?.History;
        }
    }

    /// <summary>One site's (null: all sites') figures over <paramref name="range"/>; null when the site was never seen.</summary>
    public RangeSnapshot? Range(string? site, DateRange range)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var aggregate = site is null ? _all : _sites.GetValueOrDefault(site);
            if (aggregate is null)
            {
                return null;
            }

            var history = aggregate.History;
            var series = range.Slots.Select(s => history.Query(s.From, s.To, now) is var f ? new RangePoint(s.From, f.Pageviews, f.Visitors) : null).ToList();
            return new RangeSnapshot(range.Name, range.TimeZone, range.From, range.To, history.Query(range.From, range.To, now), series);
        }
    }
}
