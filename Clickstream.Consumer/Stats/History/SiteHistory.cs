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
/// the whole hour is used and the figures say <c>approximate</c>. Not thread-safe: the owner locks.
/// </summary>
public sealed class SiteHistory
{
    public static readonly TimeSpan MinutesKept = TimeSpan.FromHours(48);
    public static readonly TimeSpan HoursKept = TimeSpan.FromDays(90);
    private const int MinuteKeys = 50;
    private const int HourKeys = 500;
    private const int DayKeys = 2_000;
    private const int TopN = 10;

    private readonly Dictionary<long, HistoryBucket> _minutes = [];
    private readonly Dictionary<long, HistoryBucket> _hours = [];
    private readonly Dictionary<long, HistoryBucket> _days = [];
    private long _nextTrim;

    public int BucketCount => _minutes.Count + _hours.Count + _days.Count;

    public void Apply(AnalyticsEvent e, ulong visitor, SessionStep step, DateTimeOffset at, DateTimeOffset now)
    {
        Trim(now);
        var ticks = at.UtcTicks;
        if (ticks >= now.UtcTicks - MinutesKept.Ticks)
        {
            Add(Bucket(_minutes, ticks - (ticks % TimeSpan.TicksPerMinute), MinuteKeys), e, visitor, step);
        }

        if (ticks >= now.UtcTicks - HoursKept.Ticks)
        {
            Add(Bucket(_hours, ticks - (ticks % TimeSpan.TicksPerHour), HourKeys), e, visitor, step);
        }

        Add(Bucket(_days, ticks - (ticks % TimeSpan.TicksPerDay), DayKeys), e, visitor, step);
    }

    /// <summary>The figures of [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public RangeFigures Query(DateTimeOffset from, DateTimeOffset to, DateTimeOffset now)
    {
        var merged = new Merged();
        var (minuteHorizon, hourHorizon) = (now.UtcTicks - MinutesKept.Ticks, now.UtcTicks - HoursKept.Ticks);
        var (t, end) = (from.UtcTicks, to.UtcTicks);
        while (t < end)
        {
            // A day bucket holds every event of its UTC day, so a whole day is always answered by it.
            if (t % TimeSpan.TicksPerDay == 0 && t + TimeSpan.TicksPerDay <= end)
            {
                merged.Add(_days.GetValueOrDefault(t));
                t += TimeSpan.TicksPerDay;
            }
            else if (t % TimeSpan.TicksPerHour == 0 && t + TimeSpan.TicksPerHour <= end && t >= hourHorizon)
            {
                merged.Add(_hours.GetValueOrDefault(t));
                t += TimeSpan.TicksPerHour;
            }
            else if (t >= minuteHorizon)
            {
                var minute = t - (t % TimeSpan.TicksPerMinute);
                merged.Add(_minutes.GetValueOrDefault(minute));
                t = minute + TimeSpan.TicksPerMinute;
            }
            else
            {
                // Inside an hour whose minutes are gone: the hour (or, older still, the day) stands for it.
                var hour = t - (t % TimeSpan.TicksPerHour);
                var day = t - (t % TimeSpan.TicksPerDay);
                var byHour = hour >= hourHorizon;
                merged.Add(byHour ? _hours.GetValueOrDefault(hour) : _days.GetValueOrDefault(day));
                merged.Approximate = true;
                t = byHour ? hour + TimeSpan.TicksPerHour : day + TimeSpan.TicksPerDay;
            }
        }

        return merged.Figures();
    }

    private static HistoryBucket Bucket(Dictionary<long, HistoryBucket> buckets, long start, int maxKeys)
    {
        if (!buckets.TryGetValue(start, out var bucket))
        {
            bucket = new HistoryBucket(maxKeys);
            buckets[start] = bucket;
        }

        return bucket;
    }

    private static void Add(HistoryBucket bucket, AnalyticsEvent e, ulong visitor, SessionStep step)
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
            bucket.Pages.Add(e.PagePath ?? "(unknown)");
            if (step.Entry)
            {
                bucket.Entries++;
                bucket.Sources.Add(e.Source ?? Sources.Direct);
                if (e.Campaign is { } campaign)
                {
                    bucket.Campaigns.Add(campaign);
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

    /// <summary>Drops minutes and hours past their horizon, once a minute of the clock.</summary>
    private void Trim(DateTimeOffset now)
    {
        if (now.UtcTicks < _nextTrim)
        {
            return;
        }

        _nextTrim = now.UtcTicks + TimeSpan.TicksPerMinute;
        Remove(_minutes, now.UtcTicks - MinutesKept.Ticks - TimeSpan.TicksPerMinute);
        Remove(_hours, now.UtcTicks - HoursKept.Ticks - TimeSpan.TicksPerHour);
    }

    private static void Remove(Dictionary<long, HistoryBucket> buckets, long before)
    {
        foreach (var start in buckets.Keys.Where(k => k < before).ToList())
        {
            buckets.Remove(start);
        }
    }

    public void Save(BinaryWriter writer)
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

    public void Load(BinaryReader reader)
    {
        foreach (var (buckets, keys) in ((Dictionary<long, HistoryBucket>, int)[])[(_minutes, MinuteKeys), (_hours, HourKeys), (_days, DayKeys)])
        {
            buckets.Clear();
            var n = reader.ReadInt32();
            for (var i = 0; i < n; i++)
            {
                var start = reader.ReadInt64();
                buckets[start] = HistoryBucket.Load(reader, keys);
            }
        }

        _nextTrim = 0;
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

        public void Add(HistoryBucket? bucket)
        {
            if (bucket is null)
            {
                return;
            }

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

        private static void Sum(Dictionary<string, long> into, TopCounter from)
        {
            foreach (var (key, count) in from.Counts)
            {
                into[key] = into.GetValueOrDefault(key) + count;
            }
        }

        private static List<Ranked> Top(Dictionary<string, long> counts) =>
            [.. counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(TopN).Select(p => new Ranked(p.Key, p.Value))];
    }
}
