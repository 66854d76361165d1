namespace Clickstream.Pixel.AccessLog;

/// <summary>
/// The one clock of the line's <c>time</c> field: every writer of a line (the pixel's middleware, the logger of
/// requests Kestrel rejects) takes it from this singleton, which reads the registered <see cref="TimeProvider"/>.
/// Local time as nginx's <c>$time_iso8601</c> writes it, without a time-zone lookup per hit: the UTC offset is looked
/// up again once a second (a daylight-saving change shows within a second, as nginx's cached time does).
/// </summary>
internal sealed class AccessLogClock(TimeProvider time)
{
    private Snapshot _snapshot = new(DateTime.MinValue, TimeSpan.Zero);

    public DateTimeOffset Now()
    {
        var utc = time.GetUtcNow().UtcDateTime;
        var snapshot = _snapshot;
        if (utc >= snapshot.ValidUntil || utc < snapshot.ValidUntil.AddSeconds(-2))
        {
            var offset = time.LocalTimeZone.GetUtcOffset(utc);
            _snapshot = snapshot = new Snapshot(utc.AddSeconds(1), offset);
        }

        return new DateTimeOffset(utc.Ticks + snapshot.Offset.Ticks, snapshot.Offset);
    }

    private sealed record Snapshot(DateTime ValidUntil, TimeSpan Offset);
}
