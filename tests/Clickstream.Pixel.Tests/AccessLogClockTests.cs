using System.Text.Json;
using Clickstream.Contracts;

namespace Clickstream.Pixel.Tests;

public sealed class AccessLogClockTests
{
    [Fact]
    public async Task A_hit_and_a_request_kestrel_rejects_take_their_time_from_the_one_time_provider()
    {
        var zone = TimeZoneInfo.CreateCustomTimeZone("test+02:00", TimeSpan.FromHours(2), "test+02:00", "test+02:00");
        using var pixel = new PixelFactory { Time = new FixedWallClock(new DateTimeOffset(2001, 2, 3, 4, 5, 6, 789, TimeSpan.Zero), zone) };
        var port = pixel.StartKestrel();

        var hit = await RawHttp.SendAsync(port, RawHttp.Request("GET", "/i?n=1"));
        var rejected = await RawHttp.SendAsync(port, System.Text.Encoding.Latin1.GetBytes("G\u0001T /i HTTP/1.1\r\nHost: pixel.test\r\nConnection: close\r\n\r\n"));
        Assert.Equal(200, hit?.Status);
        Assert.Equal(400, rejected?.Status);

        var lines = await pixel.WaitForLinesAsync(2);
        var fields = lines.Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["200", "400"], fields.Select(f => f.GetProperty(AccessLogFields.Code).GetString()).Order());
        Assert.All(fields, f => Assert.Equal("2001-02-03T06:05:06.789+02:00", f.GetProperty(AccessLogFields.Time).GetString()));
    }

    /// <summary>A fixed wall clock in a fixed zone; timers and timestamps stay the system's, so the writer still flushes.</summary>
    private sealed class FixedWallClock(DateTimeOffset utcNow, TimeZoneInfo zone) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => utcNow;

        public override TimeZoneInfo LocalTimeZone => zone;
    }
}
