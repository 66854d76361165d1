using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Clickstream.Contracts;
using Clickstream.Pixel.AccessLog;
using Clickstream.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Clickstream.Pixel.Tests;

public sealed class AccessLogOperationsTests
{
    [Fact]
    public async Task Stats_count_answered_requests_and_written_lines_but_not_probes()
    {
        using var pixel = new PixelFactory();
        using var client = pixel.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            (await client.GetAsync("/i")).EnsureSuccessStatusCode();
        }

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        await pixel.WaitForLinesAsync(4);

        JsonElement stats = default;
        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
        {
            stats = JsonDocument.Parse(await client.GetStringAsync("/stats")).RootElement;
            return stats.GetProperty("linesWritten").GetInt64() == 4;
        }, TimeSpan.FromSeconds(5)), stats.ToString());
        Assert.Equal(4, stats.GetProperty("hitsServed").GetInt64());
        Assert.Equal(0, stats.GetProperty("linesDropped").GetInt64());
        Assert.Equal(["hitsServed", "linesWritten", "linesDropped"], stats.EnumerateObject().Select(p => p.Name));
        Assert.Equal(4, (await pixel.WaitForLinesAsync(4)).Length);
    }

    [Fact]
    public async Task A_full_disk_still_answers_every_hit_and_counts_the_lost_lines()
    {
        Assert.True(File.Exists("/dev/full"), "this test needs Linux's /dev/full");
        using var pixel = new PixelFactory();
        File.CreateSymbolicLink(pixel.LogFile, "/dev/full");
        var factory = pixel.Services.GetRequiredService<IMeterFactory>();
        long dropped = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name == "pixel.log.lines.dropped")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref dropped, value));
        listener.Start();

        using var client = pixel.CreateClient();
        for (var i = 0; i < 20; i++)
        {
            using var response = await client.GetAsync("/i");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(43, (await response.Content.ReadAsByteArrayAsync()).Length);
        }

        var log = pixel.Services.GetRequiredService<AccessLogWriter>();
        Assert.True(await TestEnvironment.EventuallyAsync(() => log.Stats.LinesDropped == 20, TimeSpan.FromSeconds(10)), log.Stats.ToString());
        Assert.Equal(0, log.Stats.LinesWritten);
        Assert.Equal(20, Interlocked.Read(ref dropped));
    }

    [Fact]
    public void A_full_buffer_answers_and_counts_the_overflow()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var directory = TestEnvironment.CreateTempDirectory("clickstream-overflow");
        var options = Options.Create(new AccessLogOptions { Directory = directory.Path, BufferLines = 16 });
        // Not started: nothing drains the buffer.
        using var writer = new AccessLogWriter(options, TimeProvider.System, services.GetRequiredService<IMeterFactory>(), NullLogger<AccessLogWriter>.Instance);

        var accepted = Enumerable.Range(0, 20).Count(_ => writer.TryWrite(Entry()));

        Assert.Equal(16, accepted);
        Assert.Equal(new PixelStats(20, 0, 4), writer.Stats);
    }

    [Fact]
    public async Task The_live_file_is_rotated_by_rename_and_no_line_is_lost()
    {
        using var pixel = new PixelFactory(new Dictionary<string, string?> { ["AccessLog:MaxFileBytes"] = "4096" });
        using var client = pixel.CreateClient();
        for (var i = 0; i < 60; i++)
        {
            (await client.GetAsync($"/i?n={i}")).EnsureSuccessStatusCode();
        }

        var log = pixel.Services.GetRequiredService<AccessLogWriter>();
        Assert.True(await TestEnvironment.EventuallyAsync(() => log.Stats.LinesWritten == 60, TimeSpan.FromSeconds(10)), log.Stats.ToString());
        var files = Directory.GetFiles(pixel.LogDirectory, "*.log");
        Assert.True(files.Length > 1, "expected rotated files");
        Assert.All(files, f => Assert.Matches(@"^access(\.\d{8}T\d{9}(-\d+)?)?\.log$", Path.GetFileName(f)));
        var paths = files.SelectMany(PixelFactory.ReadShared).Select(l => JsonDocument.Parse(l).RootElement.GetProperty(AccessLogFields.Path).GetString()!).ToHashSet();
        Assert.Equal(Enumerable.Range(0, 60).Select(i => $"/i?n={i}").ToHashSet(), paths);
        Assert.All(files, f => Assert.True(new FileInfo(f).Length <= 4096, f));
    }

    [Fact]
    public void A_line_escapes_like_nginx_and_replaces_invalid_utf8_with_one_replacement_char()
    {
        var entry = Entry() with { Agent = "a\"b\\c\u0001\u001f\n\u007f", Referer = "caf\u00c3\u00a9", Path = "/i?\u00ff" };
        var buffer = new byte[entry.MaxLength];
        var line = System.Text.Encoding.UTF8.GetString(buffer, 0, entry.Format(buffer));

        Assert.Contains($"\"{AccessLogFields.Agent}\":\"a\\\"b\\\\c\\u0001\\u001F\\n\u007f\"", line);
        Assert.Contains($"\"{AccessLogFields.Referer}\":\"caf\u00e9\"", line);
        Assert.Contains($"\"{AccessLogFields.Path}\":\"\uFFFD\"", line);
        Assert.Contains($"\"{AccessLogFields.User}\":\"-\"", line);
        Assert.EndsWith("}\n", line);
    }

    [Theory]
    [InlineData(2026, 11, 27, 15, 56, 36, 123, 0, "2026-11-27T15:56:36.123+00:00")]
    [InlineData(2026, 1, 2, 3, 4, 5, 6, -330, "2026-01-02T03:04:05.006-05:30")]
    [InlineData(999, 12, 31, 23, 59, 59, 999, 840, "0999-12-31T23:59:59.999+14:00")]
    public void Time_has_milliseconds_and_the_offset(int y, int mo, int d, int h, int mi, int s, int ms, int offsetMinutes, string expected)
    {
        var time = new DateTimeOffset(y, mo, d, h, mi, s, ms, TimeSpan.FromMinutes(offsetMinutes));
        var entry = Entry() with { Time = time };
        var buffer = new byte[entry.MaxLength];
        var line = System.Text.Encoding.UTF8.GetString(buffer, 0, entry.Format(buffer));

        Assert.Contains($"\"{AccessLogFields.Time}\":\"{expected}\"", line);
        Assert.Equal(expected, time.ToString(AccessLogEntry.TimeFormat, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static AccessLogEntry Entry() =>
        new("127.0.0.1", "pixel.test", DateTimeOffset.UnixEpoch, "GET", "/i", 200, 43, null, "agent", null, "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01");
}
