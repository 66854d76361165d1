using System.Text;
using Clickstream.Contracts;
using Clickstream.Tests;

namespace Clickstream.Shipper.Tests;

/// <summary>
/// Rotations by a writer that does not cooperate, and rotations while the shipper is away: a file that left the watched
/// paths is never given up while it may still grow. (Debian's logrotate with the real pixels: EndToEnd's LogRotationTests.)
/// </summary>
public sealed class ShipperRotationTests() : ShipperTestBed("clickstream-shipper-rotation", 4)
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_writer_that_never_reopens_is_read_again_after_its_renamed_file_was_parked_and_after_it_was_deleted()
    {
        var log = Path.Combine(Logs, "access.log");
        await using var shipper = new ShipperHost(Cluster.BootstrapServers, PipelineDefaults.Topic, Path.Combine(Logs, "*.log"), State,
            new Dictionary<string, string?> { ["Shipper:RotateWait"] = "00:00:00.300" });
        await shipper.StartAsync();
        // nginx without a postrotate script: one handle, kept whatever happens to the name.
        var writer = new FileStream(log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        var identity = FileIdentity.OfHandle(writer.SafeFileHandle);
        try
        {
            await WriteAsync(writer, 0, 100);
            Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal == 100, Bounded));

            // logrotate: rename to a name `*.log` does not match, create the new file.
            File.Move(log, log + ".1");
            await File.WriteAllBytesAsync(log, []);
            Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Tails.Parked.Contains(identity), Bounded),
                "the renamed file was not parked after RotateWait");

            await WriteAsync(writer, 100, 100);
            Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal == 200, Bounded),
                $"acknowledged {shipper.Metrics.AcknowledgedTotal} of 200 after the writer appended to the parked file");
            Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Tails.Parked.Contains(identity), Bounded));

            // rotate ran out: the file is deleted, and the writer still holds it.
            File.Delete(log + ".1");
            await WriteAsync(writer, 200, 100);
            Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal == 300, Bounded),
                $"acknowledged {shipper.Metrics.AcknowledgedTotal} of 300 after the writer appended to the deleted file");
        }
        finally
        {
            await writer.DisposeAsync();
        }

        // Deleted, and no writer left: closed.
        Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Tails.Files.All(f => f.Identity != identity), Bounded),
            "the deleted file was kept open after its writer closed it");
        Assert.True(shipper.Metrics.GrewAgainTotal >= 2, $"the parked file was read again {shipper.Metrics.GrewAgainTotal} times");
        var records = TopicReader.Read(Cluster.BootstrapServers, PipelineDefaults.Topic, 300, Bounded);
        Assert.Equal(Enumerable.Range(0, 300).Select(ShipperComponentTests.Line).Order(), records.Select(r => r.Value).Order());
        Assert.Equal(300, records.Select(r => r.EventId).Distinct().Count());
    }

    [Fact]
    public async Task Lines_written_before_a_rename_while_the_shipper_was_stopped_are_shipped_when_it_starts_again()
    {
        var log = Path.Combine(Logs, "access.log");
        await File.WriteAllLinesAsync(log, Enumerable.Range(0, 100).Select(ShipperComponentTests.Line));
        await using (var shipper = new ShipperHost(Cluster.BootstrapServers, PipelineDefaults.Topic, Path.Combine(Logs, "*.log"), State))
        {
            await shipper.StartAsync();
            Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal == 100, Bounded));
        }

        // While the shipper is stopped (a restart, an upgrade): more lines, then logrotate renames the file away.
        await File.AppendAllLinesAsync(log, Enumerable.Range(100, 50).Select(ShipperComponentTests.Line));
        File.Move(log, log + ".1");
        await File.WriteAllLinesAsync(log, Enumerable.Range(150, 20).Select(ShipperComponentTests.Line));

        await using (var shipper = new ShipperHost(Cluster.BootstrapServers, PipelineDefaults.Topic, Path.Combine(Logs, "*.log"), State))
        {
            await shipper.StartAsync();
            Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal == 70, Bounded),
                $"acknowledged {shipper.Metrics.AcknowledgedTotal} of 70 (50 in the renamed file, 20 in the new one)");
        }

        var records = TopicReader.Read(Cluster.BootstrapServers, PipelineDefaults.Topic, 170, Bounded);
        Assert.Equal(Enumerable.Range(0, 170).Select(ShipperComponentTests.Line).Order(), records.Select(r => r.Value).Order());
    }

    private static async Task WriteAsync(FileStream writer, int first, int count)
    {
        await writer.WriteAsync(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(first, count).Select(i => ShipperComponentTests.Line(i) + "\n"))));
        await writer.FlushAsync();
    }
}
