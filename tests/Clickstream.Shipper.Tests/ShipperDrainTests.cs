using Clickstream.Contracts;
using Clickstream.Shipper.Checkpoints;
using Clickstream.Tests;

namespace Clickstream.Shipper.Tests;

/// <summary>
/// <c>Shipper:DrainOnStop</c>: stopping, the shipper reads every file to the end its writer leaves before the last
/// checkpoint (the deployed unit's log directory goes away with the replica).
/// </summary>
public sealed class ShipperDrainTests() : ShipperTestBed("clickstream-shipper-drain", 8)
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Stopping_ships_what_a_writer_without_the_marker_appends_until_the_files_stay_quiet()
    {
        var log = Path.Combine(Logs, "access.log");
        await File.WriteAllLinesAsync(log, Enumerable.Range(0, 100).Select(ShipperComponentTests.Line));
        await using var shipper = NewShipper(new Dictionary<string, string?> { ["Shipper:DrainQuietPeriod"] = "00:00:03" });
        await shipper.StartAsync();
        Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal == 100, Bounded));

        // The writer (nginx, say) is still finishing while the shipper is told to stop.
        var stopping = shipper.StopAsync();
        await File.AppendAllLinesAsync(log, Enumerable.Range(100, 100).Select(ShipperComponentTests.Line));
        await stopping;

        Assert.Equal(200, shipper.Metrics.AcknowledgedTotal);
        Assert.Equal(new FileInfo(log).Length, Assert.Single(new CheckpointStore(State).Load().Values).Offset);
        var records = TopicReader.Read(Cluster.BootstrapServers, PipelineDefaults.Topic, 200, Bounded);
        Assert.Equal(Enumerable.Range(0, 200).Select(ShipperComponentTests.Line).Order(), records.Select(r => r.Value).Order());
    }

    [Fact]
    public async Task With_the_pixels_closed_marker_the_drain_ends_at_the_end_of_the_files_without_waiting()
    {
        var logs = new[] { Path.Combine(Logs, "access.log"), Path.Combine(Logs, "access.20261202T000000000.log") };
        await File.WriteAllLinesAsync(logs[1], Enumerable.Range(0, 300).Select(ShipperComponentTests.Line));
        await File.WriteAllLinesAsync(logs[0], Enumerable.Range(300, 300).Select(ShipperComponentTests.Line));
        // Quiet period and deadline far beyond the test's patience: only the marker can end this drain in time.
        await using var shipper = NewShipper(new Dictionary<string, string?>
        {
            ["Shipper:DrainQuietPeriod"] = "00:30:00",
            ["Shipper:DrainTimeout"] = "00:30:00",
            ["Shipper:MaxInFlightMessages"] = "10",
        });
        await shipper.StartAsync();
        Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal > 0, Bounded));

        // The pixel's last act: every line written, the log closed, the marker dropped.
        await File.WriteAllBytesAsync(Path.Combine(Logs, AccessLogFiles.WriterClosedMarker), []);
        await shipper.StopAsync().WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(600, shipper.Metrics.AcknowledgedTotal);
        var checkpoints = new CheckpointStore(State).Load().Values.ToDictionary(c => c.Path, c => c.Offset);
        Assert.All(logs, log => Assert.Equal(new FileInfo(log).Length, checkpoints[log]));
        var records = TopicReader.Read(Cluster.BootstrapServers, PipelineDefaults.Topic, 600, Bounded);
        Assert.Equal(600, records.Select(r => r.EventId).Distinct().Count());
    }

    private ShipperHost NewShipper(IDictionary<string, string?> extra)
    {
        extra["Shipper:DrainOnStop"] = "true";
        return new(Cluster.BootstrapServers, PipelineDefaults.Topic, Path.Combine(Logs, "*.log"), State, extra);
    }
}
