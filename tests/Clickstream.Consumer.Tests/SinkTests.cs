using System.IO.Compression;
using System.Text;
using Clickstream.Consumer.Consuming;
using Clickstream.Consumer.Sink;
using Clickstream.Tests;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Clickstream.Consumer.Tests;

public sealed class SinkTests
{
    [Fact]
    public async Task Lines_go_to_hourly_files_and_a_closed_hour_is_gzipped()
    {
        using var dir = TestEnvironment.CreateTempDirectory("sink");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 59, 0, TimeSpan.Zero));
        var sink = new HourlyJsonlSink(Options.Create(new ConsumerOptions { SinkDirectory = dir.Path }), time, NullLogger<HourlyJsonlSink>.Instance);
        Assert.True(sink.Enabled);
        await sink.StartAsync(CancellationToken.None);

        sink.Write("""{"n":"1"}"""u8.ToArray(), CancellationToken.None);
        sink.Write("""{"n":"2"}"""u8.ToArray(), CancellationToken.None);
        var first = Path.Combine(dir.Path, "2026", "11", "24", "09.jsonl");
        Assert.True(await TestEnvironment.EventuallyAsync(() => File.Exists(first) && ReadShared(first).Length == 2, TimeSpan.FromSeconds(5)));

        time.Advance(TimeSpan.FromMinutes(2)); // 10:01: the 09 hour closes with the next line
        sink.Write("""{"n":"3"}"""u8.ToArray(), CancellationToken.None);
        var second = Path.Combine(dir.Path, "2026", "11", "24", "10.jsonl");
        Assert.True(await TestEnvironment.EventuallyAsync(() => File.Exists(first + ".gz") && File.Exists(second), TimeSpan.FromSeconds(5)));
        await sink.StopAsync(CancellationToken.None);

        Assert.False(File.Exists(first));
        await using (var gz = new GZipStream(File.OpenRead(first + ".gz"), CompressionMode.Decompress))
        using (var reader = new StreamReader(gz, Encoding.UTF8))
        {
            Assert.Equal("{\"n\":\"1\"}\n{\"n\":\"2\"}\n", await reader.ReadToEndAsync());
        }

        Assert.Equal(["""{"n":"3"}"""], ReadShared(second));
    }

    [Fact]
    public void Without_a_directory_the_sink_is_off()
    {
        var sink = new HourlyJsonlSink(Options.Create(new ConsumerOptions()), TimeProvider.System, NullLogger<HourlyJsonlSink>.Instance);
        Assert.False(sink.Enabled);
        sink.Write([1, 2, 3], CancellationToken.None); // ignored, never blocks
        Assert.Equal(Path.Combine("2026", "01", "02", "03.jsonl"), HourlyJsonlSink.RelativePath(new DateTimeOffset(2026, 1, 2, 4, 5, 6, TimeSpan.FromHours(1))));
    }

    private static string[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
