using System.Text;
using Clickstream.Contracts;
using Clickstream.KafkaEmulator.Mock;
using Clickstream.Shipper.Checkpoints;
using Clickstream.Tests;
using Xunit.Abstractions;

namespace Clickstream.Shipper.Tests;

/// <summary>
/// The shipper as a real process, SIGKILLed at random points while the log grows: nothing written is
/// lost, and what is sent twice lies right after a saved checkpoint (the lines that were in flight, or
/// acknowledged after the last checkpoint was written).
/// </summary>
[Collection(HeavyTests.Name)]
public sealed class ShipperKillTests(ITestOutputHelper output) : ShipperTestBed("clickstream-shipper-kill", 64)
{
    private const int Lines = 200_000;
    private const int Kills = 10;
    private const int MaxInFlight = 2_000;
    // In flight (≤ MaxInFlight) plus what is acknowledged between two checkpoint writes (50 ms) at catch-up speed.
    private const int DuplicateWindow = MaxInFlight + 8_000;
    [Fact]
    public async Task Sigkill_ten_times_while_200000_lines_are_written_loses_nothing_and_duplicates_only_the_in_flight_window()
    {
        var log = Path.Combine(Logs, "access.log");
        var offsets = new long[Lines];
        var writer = Task.Run(async () =>
        {
            // ~10,000 lines/s for ~20 s: the kills land while the file grows.
            await using var file = new FileStream(log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            long position = 0;
            for (var i = 0; i < Lines; i++)
            {
                var bytes = Encoding.UTF8.GetBytes(ShipperComponentTests.Line(i) + "\n");
                offsets[i] = position;
                position += bytes.Length;
                file.Write(bytes);
                if (i % 500 == 499)
                {
                    await file.FlushAsync();
                    await Task.Delay(50);
                }
            }
        });

        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:kafka"] = Cluster.BootstrapServers,
            ["Kafka:Topic"] = PipelineDefaults.Topic,
            ["Shipper:Paths:0"] = Path.Combine(Logs, "*.log"),
            ["Shipper:StateDirectory"] = State,
            ["Shipper:PollInterval"] = "00:00:00.020",
            ["Shipper:CheckpointInterval"] = "00:00:00.050",
            ["Shipper:MaxInFlightMessages"] = MaxInFlight.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        // A slow broker keeps lines in flight at every kill: a shipper that checkpointed what it merely
        // sent (not what was acknowledged) loses them here.
        Cluster.SetBrokerLatency(TimeSpan.FromMilliseconds(50));
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var checkpointsAtKill = new List<long>();
        for (var kill = 0; kill < Kills; kill++)
        {
            await using var shipper = new ShipperProcess(settings);
            // A random point once it runs (start-up on a loaded machine takes a second or more).
            // A kill before it answers would test nothing, so a shipper that never starts fails here.
            Assert.True(await TestEnvironment.EventuallyAsync(async () => await shipper.StatsAsync() is not null, TimeSpan.FromSeconds(60),
                TimeSpan.FromMilliseconds(50)), $"shipper {kill + 1} did not answer /stats within 60 s");
            await Task.Delay(random.Next(200, 1_500));
            shipper.Kill();
            checkpointsAtKill.Add(CheckpointOffset());
        }

        Cluster.SetBrokerLatency(TimeSpan.Zero);
        await writer.WaitAsync(TimeSpan.FromSeconds(60));
        var length = new FileInfo(log).Length;
        output.WriteLine($"seed {seed}; checkpoints at each kill: {string.Join(", ", checkpointsAtKill)} of {length} bytes");
        Assert.True(checkpointsAtKill[^1] > 0, "the shipper never checkpointed between kills");

        await using (var last = new ShipperProcess(settings))
        {
            Assert.True(await TestEnvironment.EventuallyAsync(() => CheckpointOffset() == length, TimeSpan.FromSeconds(90)),
                $"checkpoint {CheckpointOffset()} of {length} after the last start\n{last.Output}");
            var stats = await last.StatsAsync();
            Assert.NotNull(stats);
            Assert.True(stats.LinesAcked > 0 && stats.LinesAcked <= stats.LinesSent && stats.LinesSent <= stats.LinesRead, $"{stats}");
        }

        var records = TopicReader.Read(Cluster.BootstrapServers, PipelineDefaults.Topic, Lines, TimeSpan.FromSeconds(90));
        var received = records.Select(r => r.Value).ToHashSet();
        var lost = Enumerable.Range(0, Lines).Where(i => !received.Contains(ShipperComponentTests.Line(i))).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} lines lost, first {string.Join(", ", lost.Take(5))}");

        // Duplicates: every copy beyond the first lies within the window after a checkpoint saved at a kill.
        var indexOf = offsets.Select((offset, index) => (offset, index)).ToDictionary(x => x.offset, x => x.index);
        var duplicated = records.GroupBy(r => r.EventId).Where(g => g.Count() > 1)
            .Select(g => indexOf[EventIds.Offset(g.Key)!.Value]).ToList();
        var windowStarts = checkpointsAtKill.Select(c => Array.BinarySearch(offsets, c)).Select(i => i >= 0 ? i : ~i).ToList();
        var outside = duplicated.Where(d => !windowStarts.Any(s => d >= s && d < s + DuplicateWindow)).ToList();
        output.WriteLine($"{records.Count} records, {duplicated.Count} lines sent more than once, window starts {string.Join(", ", windowStarts)}");
        Assert.True(outside.Count == 0, $"{outside.Count} duplicates outside the in-flight window after a kill, e.g. line {outside.FirstOrDefault()}");
        Assert.True(records.Count - Lines <= Kills * DuplicateWindow, $"{records.Count - Lines} extra copies");
    }

    [Fact]
    public async Task Standalone_with_CopyToStdout_every_shipped_line_is_also_printed()
    {
        var lines = Enumerable.Range(0, 5).Select(ShipperComponentTests.Line).ToList();
        await File.WriteAllLinesAsync(Path.Combine(Logs, "access.log"), lines);
        await using var shipper = new ShipperProcess(new Dictionary<string, string>
        {
            ["ConnectionStrings:kafka"] = Cluster.BootstrapServers,
            ["Kafka:Topic"] = PipelineDefaults.Topic,
            ["Shipper:Paths:0"] = Path.Combine(Logs, "*.log"),
            ["Shipper:StateDirectory"] = State,
            ["Shipper:CopyToStdout"] = "true",
        });
        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await shipper.StatsAsync())?.LinesAcked == 5, TimeSpan.FromSeconds(60)),
            shipper.Output);
        Assert.True(await TestEnvironment.EventuallyAsync(() => lines.All(shipper.Output.Contains), TimeSpan.FromSeconds(10)), shipper.Output);
    }

    private long CheckpointOffset()
    {
        try
        {
            return new CheckpointStore(State).Load().Values.Sum(c => c.Offset);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}

/// <summary>The tests that load the machine run one after the other.</summary>
[CollectionDefinition(Name)]
public sealed class HeavyTests
{
    public const string Name = "heavy";
}
