using Clickstream.Consumer.Checkpoints;
using Clickstream.Contracts.Analytics;

namespace Clickstream.Consumer.Stats.History;

/// <summary>A range's figures, merged from the buckets that cover it.</summary>
public sealed record RangeFigures(
    long Pageviews,
    long Visitors,
    double VisitorsStandardError,
    long Sessions,
    double BounceRate,
    double? EngagedSecondsPerSession,
    long Events,
    IReadOnlyList<Ranked> TopPages,
    IReadOnlyList<Ranked> TopSources,
    IReadOnlyList<Ranked> TopCampaigns,
    bool Approximate);

/// <summary>
/// One site's history in three resolutions, each event added to all three: minute buckets for the last
/// <see cref="MinutesKept"/>, hour buckets for <see cref="HoursKept"/>, day buckets (UTC days) for ever
/// (one per day: a year is 365 small buckets). A range is answered from the coarsest buckets that fit it
/// exactly: whole UTC days beyond the hours kept, whole hours, then minutes at its edges. Where an edge
/// falls inside an hour older than the minutes kept (a time zone with a half-hour offset, 48 hours back),
/// the whole hour is used and the figures say <c>approximate</c>. The all-sites view is not kept apart: its
/// range merges every site's buckets when asked (counts add, sketches merge to exactly the registers one
/// all-sites sketch would hold, top tables add). Bounded: buckets drop out of the minutes and hours as the
/// clock moves, each bucket's top tables keep at most <see cref="MinuteTops"/>, <see cref="HourTops"/> or
/// <see cref="DayTops"/> counters, and keys are shared (<see cref="MaxInterned"/>) instead of one string per
/// bucket. Not thread-safe: the owner locks.
/// </summary>
public sealed class SiteHistory
{
    public static readonly TimeSpan MinutesKept = TimeSpan.FromHours(48);
    public static readonly TimeSpan HoursKept = TimeSpan.FromDays(90);
    public static readonly TopCapacities MinuteTops = new(16, 8, 8);
    public static readonly TopCapacities HourTops = new(32, 16, 16);
    public static readonly TopCapacities DayTops = new(200, 50, 50);
    private const int MaxInterned = 20_000;
    private const int TopN = 10;

    private readonly Dictionary<long, HistoryBucket> _minutes = [];
    private readonly Dictionary<long, HistoryBucket> _hours = [];
    private readonly Dictionary<long, HistoryBucket> _days = [];
    private readonly Dictionary<string, string> _interned = new(StringComparer.Ordinal);
    private readonly Func<string, string> _intern;
    private long _nextTrim;
    private long _minutesFrom;
    private long _hoursFrom;

    public SiteHistory() => _intern = Intern;

    public int BucketCount => _minutes.Count + _hours.Count + _days.Count;

    public void Apply(AnalyticsEvent e, ulong visitor, SessionStep step, DateTimeOffset at, DateTimeOffset now)
    {
        Trim(now);
        var ticks = at.UtcTicks;
        if (ticks >= now.UtcTicks - MinutesKept.Ticks)
        {
            var minute = ticks - (ticks % TimeSpan.TicksPerMinute);
            _minutesFrom = Math.Min(_minutesFrom, minute); // a trim steps from the oldest bucket
            Add(Bucket(_minutes, minute, MinuteTops), e, visitor, step);
        }

        if (ticks >= now.UtcTicks - HoursKept.Ticks)
        {
            var hour = ticks - (ticks % TimeSpan.TicksPerHour);
            _hoursFrom = Math.Min(_hoursFrom, hour);
            Add(Bucket(_hours, hour, HourTops), e, visitor, step);
        }

        Add(Bucket(_days, ticks - (ticks % TimeSpan.TicksPerDay), DayTops), e, visitor, step);
    }

    /// <summary>The figures of [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public RangeFigures Query(DateTimeOffset from, DateTimeOffset to, DateTimeOffset now) => Query([this], from, to, now);

    /// <summary>The figures of [<paramref name="from"/>, <paramref name="to"/>) over several sites' histories merged.</summary>
    public static RangeFigures Query(IReadOnlyCollection<SiteHistory> histories, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now)
    {
        var merged = new Merged();
        var (minuteHorizon, hourHorizon) = (now.UtcTicks - MinutesKept.Ticks, now.UtcTicks - HoursKept.Ticks);
        var (t, end) = (from.UtcTicks, to.UtcTicks);
        while (t < end)
        {
            // A day bucket holds every event of its UTC day, so a whole day is always answered by it.
            if (t % TimeSpan.TicksPerDay == 0 && t + TimeSpan.TicksPerDay <= end)
            {
                merged.Add(histories, h => h._days, t);
                t += TimeSpan.TicksPerDay;
            }
            else if (t % TimeSpan.TicksPerHour == 0 && t + TimeSpan.TicksPerHour <= end && t >= hourHorizon)
            {
                merged.Add(histories, h => h._hours, t);
                t += TimeSpan.TicksPerHour;
            }
            else if (t >= minuteHorizon)
            {
                var minute = t - (t % TimeSpan.TicksPerMinute);
                merged.Add(histories, h => h._minutes, minute);
                t = minute + TimeSpan.TicksPerMinute;
            }
            else
            {
                // Inside an hour whose minutes are gone: the hour (or, older still, the day) stands for it.
                var hour = t - (t % TimeSpan.TicksPerHour);
                var day = t - (t % TimeSpan.TicksPerDay);
                var byHour = hour >= hourHorizon;
                merged.Add(histories, byHour ? h => h._hours : h => h._days, byHour ? hour : day);
                merged.Approximate = true;
                t = byHour ? hour + TimeSpan.TicksPerHour : day + TimeSpan.TicksPerDay;
            }
        }

        return merged.Figures();
    }

    private static HistoryBucket Bucket(Dictionary<long, HistoryBucket> buckets, long start, TopCapacities capacities)
    {
        if (!buckets.TryGetValue(start, out var bucket))
        {
            bucket = new HistoryBucket(capacities);
            buckets[start] = bucket;
        }

        return bucket;
    }

    private void Add(HistoryBucket bucket, AnalyticsEvent e, ulong visitor, SessionStep step)
    {
        bucket.Events++;
        bucket.Visitors.Add(visitor);
        if (step.NewSession)
        {
            bucket.Sessions++;
        }

        if (e.Type is EventType.PageView or EventType.Hit)
        {
            bucket.Pageviews++;
            bucket.Pages.Add(e.PagePath ?? "(unknown)", _intern);
            if (step.Entry)
            {
                bucket.Entries++;
                bucket.Sources.Add(e.Source ?? Sources.Direct, _intern);
                if (e.Campaign is { } campaign)
                {
                    bucket.Campaigns.Add(campaign, _intern);
                }
            }

            if (step.SecondPageView)
            {
                bucket.NonBounced++;
            }
        }

        if (e.EngagedMs is { } engaged)
        {
            bucket.EngagedMs += Math.Min(engaged, 30 * 60 * 1000);
        }
    }

    /// <summary>One string per distinct key for every bucket that keeps it (bounded; beyond it keys are kept as they come).</summary>
    private string Intern(string key)
    {
        if (_interned.TryGetValue(key, out var shared))
        {
            return shared;
        }

        if (_interned.Count < MaxInterned)
        {
            _interned[key] = key;
        }

        return key;
    }

    /// <summary>Drops minutes and hours past their horizon, once a minute of the clock.</summary>
    private void Trim(DateTimeOffset now)
    {
        if (now.UtcTicks < _nextTrim)
        {
            return;
        }

        _nextTrim = now.UtcTicks + TimeSpan.TicksPerMinute;
        Remove(_minutes, ref _minutesFrom, now.UtcTicks - MinutesKept.Ticks - TimeSpan.TicksPerMinute, TimeSpan.TicksPerMinute);
        Remove(_hours, ref _hoursFrom, now.UtcTicks - HoursKept.Ticks - TimeSpan.TicksPerHour, TimeSpan.TicksPerHour);
    }

    /// <summary>
    /// Removes the buckets before <paramref name="before"/>: by stepping from where the last trim ended (a minute or
    /// two, instead of looking at every bucket kept each minute), or by looking at every bucket when that is fewer steps.
    /// </summary>
    private static void Remove(Dictionary<long, HistoryBucket> buckets, ref long from, long before, long width)
    {
        if (before <= from)
        {
            return;
        }

        if ((before - from) / width > buckets.Count)
        {
            foreach (var start in buckets.Keys.Where(k => k < before).ToList())
            {
                buckets.Remove(start);
            }
        }
        else
        {
            for (var start = from - (from % width); start < before; start += width)
            {
                buckets.Remove(start);
            }
        }

        from = before;
    }

    public void Save(CheckpointWriter writer)
    {
        foreach (var buckets in (Dictionary<long, HistoryBucket>[])[_minutes, _hours, _days])
        {
            writer.Write(buckets.Count);
            foreach (var (start, bucket) in buckets)
            {
                writer.Write(start);
                bucket.Save(writer);
            }
        }
    }

    public void Load(CheckpointReader reader)
    {
        foreach (var (buckets, capacities) in ((Dictionary<long, HistoryBucket>, TopCapacities)[])[(_minutes, MinuteTops), (_hours, HourTops), (_days, DayTops)])
        {
            buckets.Clear();
            var n = reader.ReadInt32();
            for (var i = 0; i < n; i++)
            {
                var start = reader.ReadInt64();
                buckets[start] = HistoryBucket.Load(reader, capacities, _intern);
            }
        }

        (_nextTrim, _minutesFrom, _hoursFrom) = (0, 0, 0);
    }

    /// <summary>Buckets merged into one range.</summary>
    private sealed class Merged
    {
        private readonly byte[] _registers = new byte[VisitorSketch.Registers];
        private readonly Dictionary<string, long> _pages = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _sources = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _campaigns = new(StringComparer.Ordinal);
        private long _events, _pageviews, _sessions, _entries, _nonBounced, _engagedMs;

        public bool Approximate { get; set; }

        public void Add(IReadOnlyCollection<SiteHistory> histories, Func<SiteHistory, Dictionary<long, HistoryBucket>> resolution, long start)
        {
            foreach (var history in histories)
            {
                if (resolution(history).TryGetValue(start, out var bucket))
                {
                    Add(bucket);
                }
            }
        }

        private void Add(HistoryBucket bucket)
        {

            _events += bucket.Events;
            _pageviews += bucket.Pageviews;
            _sessions += bucket.Sessions;
            _entries += bucket.Entries;
            _nonBounced += bucket.NonBounced;
            _engagedMs += bucket.EngagedMs;
            bucket.Visitors.MergeInto(_registers);
            Sum(_pages, bucket.Pages);
            Sum(_sources, bucket.Sources);
            Sum(_campaigns, bucket.Campaigns);
        }

        public RangeFigures Figures() => new(
            _pageviews,
            VisitorSketch.Estimate(_registers),
            VisitorSketch.StandardError,
            _sessions,
            _entries == 0 ? 0 : Math.Max(0, (double)(_entries - _nonBounced) / _entries),
            _sessions == 0 ? null : _engagedMs / 1000.0 / _sessions,
            _events,
            Top(_pages),
            Top(_sources),
            Top(_campaigns),
            Approximate);

        private static void Sum(Dictionary<string, long> into, HeavyHitters from)
        {
            foreach (var entry in from.Entries)
            {
                into[entry.Key] = into.GetValueOrDefault(entry.Key) + entry.Count;
            }
        }

        private static List<Ranked> Top(Dictionary<string, long> counts) =>
            [.. counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(TopN).Select(p => new Ranked(p.Key, p.Value))];
    }
}
