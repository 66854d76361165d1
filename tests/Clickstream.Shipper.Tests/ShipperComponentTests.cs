using System.Text;
using System.Text.Json;
using Clickstream.Contracts;
using Clickstream.KafkaEmulator.Mock;
using Clickstream.Shipper.Checkpoints;
using Clickstream.Shipper.DeadLetters;
using Clickstream.Tests;

namespace Clickstream.Shipper.Tests;

/// <summary>The shipper against the embedded broker, counted by an independent consumer.</summary>
public sealed class ShipperComponentTests() : ShipperTestBed("clickstream-shipper", 8)
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);
    internal static string Line(int i) =>
        new AccessLogEntry($"10.0.0.{i % 250}", null, new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero), "GET", $"/i?n={i}", 200, 43, null, "test",
            $"{i % 97:x32}", null).ToLine();

    [Fact]
    public async Task Every_line_is_shipped_keyed_and_checkpointed_and_a_restart_resumes_without_duplicates()
    {
        var log = Path.Combine(Logs, "access.log");
        await File.WriteAllLinesAsync(log, Enumerable.Range(0, 2000).Select(Line));

        await using (var shipper = NewShipper())
        {
            await shipper.StartAsync();
            Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal == 2000, Bounded),
                $"acknowledged {shipper.Metrics.AcknowledgedTotal} of 2000");
            await shipper.StopAsync();
            // Graceful shutdown saved the acknowledged position: the end of the file.
            var checkpoint = Assert.Single(new CheckpointStore(State).Load().Values);
            Assert.Equal(new FileInfo(log).Length, checkpoint.Offset);
        }

        await File.AppendAllLinesAsync(log, Enumerable.Range(2000, 500).Select(Line));
        await using (var shipper = NewShipper())
        {
            await shipper.StartAsync();
            Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal == 500, Bounded),
                $"acknowledged {shipper.Metrics.AcknowledgedTotal} of 500 after the restart");
        }

        var records = TopicReader.Read(Cluster.BootstrapServers, PipelineDefaults.Topic, 2500, Bounded);
        Assert.Equal(2500, records.Count);
        Assert.Equal(2500, records.Select(r => r.EventId).Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 2500).Select(Line).Order(), records.Select(r => r.Value).Order());
        Assert.All(records, r => Assert.Equal(JsonDocument.Parse(r.Value).RootElement.GetProperty(AccessLogFields.Cookie).GetString(), r.Key));
    }

    [Fact]
    public async Task Bad_lines_go_to_the_dead_letter_file_and_the_good_lines_around_them_are_delivered()
    {
        var log = Path.Combine(Logs, "access.log");
        var good = Enumerable.Range(0, 100).Select(Line).ToList();
        var content = new StringBuilder();
        content.Append(good[0]).Append('\n');
        content.Append("{\"broken\":").Append('\n');               // dead letter 1
        content.Append(good[1]).Append("\r\n");                      // CRLF: fine
        content.Append('\n');                                        // empty: skipped
        content.Append("plain text").Append('\n');                   // dead letter 2
        content.Append('{').Append(new string('x', 3000)).Append("}\n"); // too long (limit 2048): dead letter 3
        foreach (var line in good.Skip(2))
        {
            content.Append(line).Append('\n');
        }

        await File.WriteAllTextAsync(log, content.ToString());
        await using var shipper = NewShipper(new Dictionary<string, string?> { ["Shipper:MaxLineBytes"] = "2048" });
        await shipper.StartAsync();

        Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal == 100, Bounded),
            $"acknowledged {shipper.Metrics.AcknowledgedTotal} of 100");
        Assert.Equal(3, shipper.Metrics.DeadLetteredTotal);
        var deadLetters = File.ReadAllLines(Path.Combine(State, DeadLetterWriter.FileName))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("reason").GetString()).ToList();
        Assert.Equal(["invalid_json", "invalid_json", "too_long"], deadLetters);

        var records = TopicReader.Read(Cluster.BootstrapServers, PipelineDefaults.Topic, 100, Bounded);
        Assert.Equal(good.Order(), records.Select(r => r.Value).Order());
        await TestEnvironment.EventuallyAsync(() => shipper.Tails.Checkpoints.Single().Offset == new FileInfo(log).Length, Bounded);
        Assert.Equal(new FileInfo(log).Length, shipper.Tails.Checkpoints.Single().Offset);
    }

    [Fact]
    public async Task A_line_the_producer_refuses_for_good_is_rejected_to_the_dead_letter_file_not_acknowledged_and_the_checkpoint_moves_past_it()
    {
        var log = Path.Combine(Logs, "access.log");
        var good = Enumerable.Range(0, 100).Select(Line).ToList();
        var huge = $$"""{"path":"/{{new string('x', 20_000)}}"}""";
        await File.WriteAllLinesAsync(log, [.. good.Take(50), huge, .. good.Skip(50)]);

        // Within MaxLineBytes, so the source sends it; over the producer's message.max.bytes, so the sink refuses it for good.
        await using var shipper = NewShipper(new Dictionary<string, string?> { ["Kafka:Producer:Config:message.max.bytes"] = "10000" });
        await shipper.StartAsync();

        Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal == 100 && shipper.Metrics.DeadLetteredTotal == 1, Bounded),
            $"acknowledged {shipper.Metrics.AcknowledgedTotal} of 100, dead-lettered {shipper.Metrics.DeadLetteredTotal} of 1");
        var deadLetter = JsonDocument.Parse(Assert.Single(File.ReadAllLines(Path.Combine(State, DeadLetterWriter.FileName)))).RootElement;
        Assert.Equal("delivery_failed", deadLetter.GetProperty("reason").GetString());
        Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Tails.Checkpoints.Single().Offset == new FileInfo(log).Length, Bounded),
            "the checkpoint did not move past the rejected line to the end of the file");
        Assert.Equal(100, shipper.Metrics.AcknowledgedTotal);
        var records = TopicReader.Read(Cluster.BootstrapServers, PipelineDefaults.Topic, 100, Bounded);
        Assert.Equal(good.Order(), records.Select(r => r.Value).Order());
    }

    [Fact]
    public async Task A_full_local_producer_queue_makes_sending_wait_and_is_never_a_failed_delivery()
    {
        var log = Path.Combine(Logs, "access.log");
        await File.WriteAllLinesAsync(log, Enumerable.Range(0, 2000).Select(Line));

        // A queue of 5 messages is full at once; one failed delivery would dead-letter a line.
        await using var shipper = NewShipper(new Dictionary<string, string?>
        {
            ["Kafka:Producer:Config:queue.buffering.max.messages"] = "5",
            ["Shipper:DeadLetterAfterFailedDeliveries"] = "1",
        });
        await shipper.StartAsync();

        Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal == 2000, Bounded),
            $"acknowledged {shipper.Metrics.AcknowledgedTotal} of 2000, dead-lettered {shipper.Metrics.DeadLetteredTotal}");
        Assert.True(shipper.Metrics.WaitedForQueueTotal > 0, "the local queue was never full: the test proves nothing");
        Assert.Equal(0, shipper.Metrics.DeadLetteredTotal);
        Assert.Equal(0, shipper.Metrics.RetriedTotal);
        var records = TopicReader.Read(Cluster.BootstrapServers, PipelineDefaults.Topic, 2000, Bounded);
        Assert.Equal(Enumerable.Range(0, 2000).Select(Line).Order(), records.Select(r => r.Value).Order());
    }

    [Fact]
    public async Task A_corrupt_checkpoint_file_is_moved_aside_counted_and_every_file_is_read_from_its_start()
    {
        var log = Path.Combine(Logs, "access.log");
        await File.WriteAllLinesAsync(log, Enumerable.Range(0, 300).Select(Line));
        Directory.CreateDirectory(State);
        var checkpoints = Path.Combine(State, "checkpoints.json");
        await File.WriteAllTextAsync(checkpoints, "{\"version\":1,\"files\":[{\"device\":1,\u0000 garbage");

        // StartAt=Tail would skip a never-seen file's lines: with the checkpoints lost, start-up reads from the start anyway.
        await using var shipper = NewShipper(new Dictionary<string, string?> { ["Shipper:StartAt"] = "Tail" });
        await shipper.StartAsync();

        Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal == 300, Bounded),
            $"acknowledged {shipper.Metrics.AcknowledgedTotal} of 300");
        Assert.Equal(1, shipper.Metrics.CheckpointsSetAsideTotal);
        var aside = Assert.Single(Directory.GetFiles(State, "checkpoints.json.corrupt-*"));
        Assert.Contains("garbage", await File.ReadAllTextAsync(aside));
        var records = TopicReader.Read(Cluster.BootstrapServers, PipelineDefaults.Topic, 300, Bounded);
        Assert.Equal(Enumerable.Range(0, 300).Select(Line).Order(), records.Select(r => r.Value).Order());

        // The next save writes a sound, versioned file in its place.
        Assert.True(await TestEnvironment.EventuallyAsync(
            () => File.Exists(checkpoints) && new CheckpointStore(State).Load().Values.SingleOrDefault()?.Offset == new FileInfo(log).Length, Bounded),
            "no sound checkpoint at the end of the file was saved");
        Assert.Equal(CheckpointStore.CurrentVersion, JsonDocument.Parse(await File.ReadAllTextAsync(checkpoints)).RootElement.GetProperty("version").GetInt32());
    }

    private ShipperHost NewShipper(IDictionary<string, string?>? extra = null) =>
        new(Cluster.BootstrapServers, PipelineDefaults.Topic, Path.Combine(Logs, "*.log"), State, extra);
}
