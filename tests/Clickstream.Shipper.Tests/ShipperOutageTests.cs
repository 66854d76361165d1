using System.Text;
using Clickstream.Contracts;
using Clickstream.KafkaEmulator.Mock;
using Clickstream.Shipper.Buffering;
using Clickstream.Shipper.Delivery;
using Clickstream.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit.Abstractions;

namespace Clickstream.Shipper.Tests;

/// <summary>Broker outages and log rotation under write load, counted on the topic by an independent consumer.</summary>
[Collection(HeavyTests.Name)]
public sealed class ShipperOutageTests(ITestOutputHelper output) : ShipperTestBed("clickstream-shipper-outage", 32)
{
    [Fact]
    public async Task Broker_down_for_10_seconds_mid_stream_loses_nothing_and_reading_stops_once_the_window_and_the_buffer_are_full()
    {
        const int lines = 100_000;
        const int maxInFlight = 5_000;
        const long maxInFlightBytes = 512 * 1024;
        const int bufferBatches = 2;
        // Read and not acknowledged: the window, the buffer, the batch the sender is working through and the one a tail waits to add.
        const int maxUnacknowledgedLines = maxInFlight + (bufferBatches + 2) * LineBuffer.MaxBatchLines;
        var log = Path.Combine(Logs, "access.log");
        await using var shipper = new ShipperHost(Cluster.BootstrapServers, PipelineDefaults.Topic, Path.Combine(Logs, "*.log"), State, new Dictionary<string, string?>
        {
            ["Shipper:MaxInFlightMessages"] = maxInFlight.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Shipper:MaxInFlightBytes"] = maxInFlightBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Shipper:BufferBatches"] = bufferBatches.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Shipper:StalledAfter"] = "00:00:03",
        });
        await shipper.StartAsync();
        var window = shipper.Services.GetRequiredService<InFlightWindow>();

        var outageStarted = new TaskCompletionSource();
        var writer = Task.Run(async () =>
        {
            await using var file = new FileStream(log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            for (var i = 0; i < lines; i++)
            {
                file.Write(Encoding.UTF8.GetBytes(ShipperComponentTests.Line(i) + "\n"));
                if (i % 1000 == 999)
                {
                    await file.FlushAsync();
                    await Task.Delay(20);
                }

                if (i == lines / 4)
                {
                    await file.FlushAsync();
                    await outageStarted.Task; // the rest is written while the broker is down
                }
            }
        });

        Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal > 1000, TimeSpan.FromSeconds(30)));
        GC.Collect();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        Cluster.SetBrokerDown();
        outageStarted.SetResult();
        var maxMessages = 0;
        long maxBytes = 0, maxUnacknowledged = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long readAtHalf = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            maxMessages = Math.Max(maxMessages, window.Messages);
            maxBytes = Math.Max(maxBytes, window.Bytes);
            maxUnacknowledged = Math.Max(maxUnacknowledged, shipper.Metrics.ReadTotal - shipper.Metrics.AcknowledgedTotal);
            if (readAtHalf == 0 && clock.Elapsed > TimeSpan.FromSeconds(5))
            {
                readAtHalf = shipper.Metrics.ReadTotal;
            }

            await Task.Delay(50);
        }

        var readDuringSecondHalf = shipper.Metrics.ReadTotal - readAtHalf;
        var healthDuringOutage = await ShipperHealthAsync(shipper);
        var heapGrowth = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        await writer.WaitAsync(TimeSpan.FromSeconds(30));
        var backlogAtEnd = shipper.Tails.Backlog;
        Cluster.SetBrokerUp();
        output.WriteLine($"during the outage: window ≤ {maxMessages} lines / {maxBytes} bytes, unacknowledged ≤ {maxUnacknowledged}, " +
            $"read in its second half {readDuringSecondHalf}, heap growth {heapGrowth / 1024} KiB, backlog {backlogAtEnd} bytes");

        Assert.InRange(maxMessages, 1, maxInFlight);
        Assert.InRange(maxBytes, 1, maxInFlightBytes);
        Assert.InRange(maxUnacknowledged, 1, maxUnacknowledgedLines);
        Assert.Equal(0, readDuringSecondHalf); // reading stopped: the file waits, not the heap
        Assert.True(heapGrowth < 32L * 1024 * 1024, $"heap grew {heapGrowth / 1024} KiB during the outage");
        Assert.True(backlogAtEnd > 10L * 1024 * 1024, $"only {backlogAtEnd} bytes were behind: the outage did not hold anything back");

        Assert.Equal(HealthStatus.Unhealthy, healthDuringOutage); // backlog and no acknowledgement for StalledAfter
        Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal == lines, TimeSpan.FromSeconds(90)),
            $"acknowledged {shipper.Metrics.AcknowledgedTotal} of {lines} after the outage");
        Assert.Equal(HealthStatus.Healthy, await ShipperHealthAsync(shipper));
        var received = TopicReader.Read(Cluster.BootstrapServers, PipelineDefaults.Topic, lines, TimeSpan.FromSeconds(60)).Select(r => r.Value).ToHashSet();
        var lost = Enumerable.Range(0, lines).Count(i => !received.Contains(ShipperComponentTests.Line(i)));
        Assert.Equal(0, lost);
    }

    private static async Task<HealthStatus> ShipperHealthAsync(ShipperHost shipper)
    {
        var report = await shipper.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "shipper");
        return report.Entries["shipper"].Status;
    }

    [Fact]
    public async Task Fifty_rename_and_ten_copytruncate_rotations_under_write_load_lose_nothing()
    {
        const int segments = 60;
        const int linesPerSegment = 2_000;
        var log = Path.Combine(Logs, "access.log");
        await using var shipper = new ShipperHost(Cluster.BootstrapServers, PipelineDefaults.Topic, Path.Combine(Logs, "*.log"), State, new Dictionary<string, string?>
        {
            ["Shipper:RotateWait"] = "00:00:01",
        });
        await shipper.StartAsync();

        var renames = 0;
        var truncations = 0;
        var n = 0;
        var file = new FileStream(log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            for (var segment = 0; segment < segments; segment++)
            {
                for (var i = 0; i < linesPerSegment; i++, n++)
                {
                    file.Write(Encoding.UTF8.GetBytes(ShipperComponentTests.Line(n) + "\n"));
                    if (i % 250 == 249)
                    {
                        file.Flush();
                        await Task.Delay(5);
                    }
                }

                file.Flush();
                if (segment % 6 == 5)
                {
                    // copytruncate: copy, then empty the file the writer keeps appending to. What the shipper
                    // has not read by then exists only in the copy (logrotate documents that window), so the
                    // writer pauses until the shipper has read it, as a real one would have within a poll.
                    var length = file.Length;
                    Assert.True(await TestEnvironment.EventuallyAsync(
                        () => shipper.Tails.Files.Any(f => f.Path == log && f.ReadPosition == length), TimeSpan.FromSeconds(30)),
                        $"the shipper did not read {log} to {length}");
                    File.Copy(log, $"{log}.c{segment}");
                    file.SetLength(0);
                    truncations++;
                }
                else
                {
                    // rename+create, and the writer appends a few lines to the renamed file before it reopens.
                    File.Move(log, $"{log}.{segment}");
                    for (var i = 0; i < 10; i++, n++)
                    {
                        file.Write(Encoding.UTF8.GetBytes(ShipperComponentTests.Line(n) + "\n"));
                    }

                    file.Flush();
                    await Task.Delay(2);
                    await file.DisposeAsync();
                    file = new FileStream(log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                    renames++;
                }
            }
        }
        finally
        {
            await file.DisposeAsync();
        }

        Assert.Equal(50, renames);
        Assert.Equal(10, truncations);
        var total = n;
        Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal >= total, TimeSpan.FromSeconds(90)),
            $"acknowledged {shipper.Metrics.AcknowledgedTotal} of {total}");
        var received = TopicReader.Read(Cluster.BootstrapServers, PipelineDefaults.Topic, total, TimeSpan.FromSeconds(60)).Select(r => r.Value).ToHashSet();
        var lost = Enumerable.Range(0, total).Where(i => !received.Contains(ShipperComponentTests.Line(i))).ToList();
        output.WriteLine($"{total} lines, {shipper.Metrics.AcknowledgedTotal} acknowledged, {shipper.Metrics.TruncatedTotal} truncations seen");
        Assert.True(lost.Count == 0, $"{lost.Count} lines lost, first {string.Join(", ", lost.Take(5))}");
        Assert.Equal(10, shipper.Metrics.TruncatedTotal);
    }
}
