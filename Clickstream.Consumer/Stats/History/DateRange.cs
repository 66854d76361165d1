using System.Globalization;

namespace Clickstream.Consumer.Stats.History;

/// <summary>A slot of a range's series (an hour or a day, or a minute for <c>realtime</c>).</summary>
public readonly record struct Slot(DateTimeOffset From, DateTimeOffset To);

/// <summary>
/// A named or explicit range resolved in a site's time zone: <c>realtime</c> (the last 30 minutes, by
/// minute), <c>today</c> and <c>yesterday</c> (local calendar days, by hour), <c>7d</c> and <c>30d</c> (the
/// last 7 or 30 local days including today, by day), or <c>from</c>/<c>to</c> (dates or date-times; a date
/// without time is the local midnight; <c>to</c> is exclusive; by hour up to two days, else by day).
/// </summary>
public sealed record DateRange(string Name, string TimeZone, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<Slot> Slots)
{
    public static readonly string[] Names = ["realtime", "today", "yesterday", "7d", "30d"];
    private static readonly TimeSpan MaxRange = TimeSpan.FromDays(3_700);

    /// <summary>Null with <paramref name="error"/> when the parameters make no range.</summary>
    public static DateRange? Resolve(string? range, string? from, string? to, TimeZoneInfo zone, DateTimeOffset now, out string? error)
    {
        error = null;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        if (from is not null || to is not null)
        {
            if (Parse(from, zone) is not { } start || Parse(to ?? now.ToString("O", CultureInfo.InvariantCulture), zone) is not { } end || end <= start || end - start > MaxRange)
            {
                error = "from and to must be dates (2026-11-30) or date-times (2026-11-30T08:00:00Z), from before to, at most ten years apart.";
                return null;
            }

            return new DateRange("custom", zone.Id, start, end, end - start <= TimeSpan.FromDays(2) ? Hours(start, end) : Days(start, end, zone));
        }

        switch (range ?? "today")
        {
            case "realtime":
                var minute = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
                var slots = Enumerable.Range(0, 30).Select(i => minute.AddMinutes(i - 29)).Select(m => new Slot(m, m.AddMinutes(1))).ToList();
                return new DateRange("realtime", zone.Id, slots[0].From, now, slots);
            case "today":
                var midnight = Midnight(today, zone);
                return new DateRange("today", zone.Id, midnight, now, Hours(midnight, Midnight(today.AddDays(1), zone)));
            case "yesterday":
                var (start, end) = (Midnight(today.AddDays(-1), zone), Midnight(today, zone));
                return new DateRange("yesterday", zone.Id, start, end, Hours(start, end));
            case "7d" or "30d":
                var first = Midnight(today.AddDays(range == "7d" ? -6 : -29), zone);
                return new DateRange(range!, zone.Id, first, now, Days(first, Midnight(today.AddDays(1), zone), zone));
            default:
                error = $"range must be one of {string.Join(", ", Names)} (or give from and to).";
                return null;
        }
    }

    /// <summary>The instant a local day begins (a day that starts inside a DST gap begins when the clock resumes).</summary>
    public static DateTimeOffset Midnight(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(30);
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    private static DateTimeOffset? Parse(string? value, TimeZoneInfo zone)
    {
        if (value is null)
        {
            return null;
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return Midnight(date, zone);
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
        {
            // With an offset or Z it is an instant; without, a local time of the site's zone.
            return value.EndsWith('Z') || value.LastIndexOfAny(['+', '-']) > 10
                ? instant.ToUniversalTime()
                : new DateTimeOffset(instant.DateTime, zone.GetUtcOffset(instant.DateTime)).ToUniversalTime();
        }

        return null;
    }

    private static List<Slot> Hours(DateTimeOffset from, DateTimeOffset to)
    {
        var slots = new List<Slot>();
        for (var t = from; t < to; t = t.AddHours(1))
        {
            slots.Add(new Slot(t, t.AddHours(1) < to ? t.AddHours(1) : to));
        }

        return slots;
    }

    private static List<Slot> Days(DateTimeOffset from, DateTimeOffset to, TimeZoneInfo zone)
    {
        var slots = new List<Slot>();
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, zone).DateTime);
        for (var t = from; t < to; day = day.AddDays(1))
        {
            var next = Midnight(day.AddDays(1), zone);
            slots.Add(new Slot(t, next < to ? next : to));
            t = next;
        }

        return slots;
    }
}
