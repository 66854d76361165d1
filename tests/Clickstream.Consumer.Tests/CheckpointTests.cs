using System.Text.Json;
using Clickstream.Consumer.Checkpoints;
using Clickstream.Consumer.Stats;
using Clickstream.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Clickstream.Consumer.Tests;

/// <summary>The frame of a checkpoint file and the aggregates' round trip through it.</summary>
public sealed class CheckpointFormatTests
{
    [Fact]
    public void A_frame_decodes_to_its_payload_and_any_truncation_flipped_byte_or_other_version_is_refused()
    {
        var bytes = CheckpointFormat.Encode(w => w.Write("payload"u8.ToArray()), 16);
        Assert.Equal("payload"u8.ToArray(), CheckpointFormat.Decode(bytes, out var none)!.Value.ToArray());
        Assert.Null(none);

        Assert.Null(CheckpointFormat.Decode(bytes[..^3], out var truncated));
        Assert.Contains("partial", truncated, StringComparison.Ordinal);

        var flipped = (byte[])bytes.Clone();
        flipped[22] ^= 0x40;
        Assert.Null(CheckpointFormat.Decode(flipped, out var altered));
        Assert.Contains("hash", altered, StringComparison.Ordinal);

        var newer = (byte[])bytes.Clone();
        newer[8] = CheckpointFormat.Version + 1;
        Assert.NotNull(CheckpointFormat.Decode(bytes, out _, out var current));
        Assert.Equal(CheckpointFormat.Version, current);
        Assert.Null(CheckpointFormat.Decode(newer, out var version));
        Assert.Contains("version", version, StringComparison.Ordinal);

        Assert.Equal(42, CheckpointFormat.SequenceOf(CheckpointFormat.NameOf(42)));
        Assert.Null(CheckpointFormat.SequenceOf(CheckpointFormat.NameOf(42) + ".tmp"));
    }

    [Fact]
    public void Saved_aggregates_load_into_a_fresh_instance_with_every_figure_equal_and_keep_counting_the_same()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var original = new LiveStats(time);
        var copy = new LiveStats(time);
        for (var i = 0; i < 3_000; i++)
        {
            original.Apply(Hit(i, time.GetUtcNow()));
            time.Advance(TimeSpan.FromMilliseconds(700));
        }

        original.DuplicateDropped();
        original.Lost(3);
        using (var stream = new MemoryStream())
        {
            using (var writer = new CheckpointWriter(stream))
            {
                original.Save(writer);
            }

            stream.Position = 0;
            using var reader = new CheckpointReader(stream, CheckpointFormat.Version);
            copy.Load(reader);
            Assert.Equal(stream.Length, stream.Position);
        }

        AssertSame(original, copy);
        // Sessions and visitor sets came along: the next events count the same in both.
        for (var i = 3_000; i < 3_500; i++)
        {
            original.Apply(Hit(i, time.GetUtcNow()));
            copy.Apply(Hit(i, time.GetUtcNow()));
            time.Advance(TimeSpan.FromMilliseconds(300));
        }

        AssertSame(original, copy);
    }

    internal static ClickEvent Hit(int i, DateTimeOffset at) => ClickEvent.Parse(System.Text.Encoding.UTF8.GetBytes(TopicFixture.Line(i, $"{i % 97:x32}", at,
        path: $"/i?aid=site{i % 3}&e=pv&url=https%3A%2F%2Fexample.com%2Fp{i % 11}&refr=https%3A%2F%2Fsearch.example%2F")))!;

    private static void AssertSame(LiveStats expected, LiveStats actual)
    {
        var options = new JsonSerializerOptions();
        Assert.Equal(JsonSerializer.Serialize(expected.Snapshot() with { FreshnessP50Ms = null, FreshnessP99Ms = null }, options),
            JsonSerializer.Serialize(actual.Snapshot() with { FreshnessP50Ms = null, FreshnessP99Ms = null }, options));
        Assert.Equal(JsonSerializer.Serialize(expected.Sites.Sites()), JsonSerializer.Serialize(actual.Sites.Sites()));
        var month = Stats.History.DateRange.Resolve("30d", null, null, TimeZoneInfo.Utc, DateTimeOffset.UtcNow, out _)!;
        foreach (var site in expected.Sites.Sites().Select(s => s.Site).Append(null))
        {
            Assert.Equal(JsonSerializer.Serialize(expected.Sites.Snapshot(site)), JsonSerializer.Serialize(actual.Sites.Snapshot(site)));
            Assert.Equal(JsonSerializer.Serialize(expected.Sites.Range(site, month)), JsonSerializer.Serialize(actual.Sites.Range(site, month)));
        }
    }
}

/// <summary>The consumer restarted on its checkpoints, in-process against the mock cluster.</summary>
public sealed class CheckpointRestartTests
{
    /// <summary>The consumer in-process with checkpoints every 200 ms in <paramref name="directory"/> (null: none), plus <paramref name="settings"/>.</summary>
    internal static IHost Start(string bootstrap, string? directory, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:kafka"] = bootstrap,
            ["Kafka:Consumer:Config:session.timeout.ms"] = "6000",
            ["Reconciliation:PixelUrl"] = "",
            ["Reconciliation:ShipperUrl"] = "",
            ["Checkpoints:Directory"] = directory ?? "",
            ["Checkpoints:Interval"] = "00:00:00.200",
        });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.AddClickstreamConsumer();
        services?.Invoke(builder.Services);
        var host = builder.Build();
        host.Start();
        return host;
    }

    private static async Task<IHost> RunUntil(string bootstrap, string directory, long total)
    {
        var host = Start(bootstrap, directory);
        var stats = host.Services.GetRequiredService<LiveStats>();
        Assert.True(await TestEnvironment.EventuallyAsync(() => stats.TotalEvents == total, TimeSpan.FromSeconds(60)), $"{stats.TotalEvents} of {total}");
        return host;
    }

    private static async Task StopAsync(IHost host)
    {
        await host.StopAsync();
        host.Dispose();
    }

    [Fact]
    public async Task A_restart_loads_the_checkpoint_seeks_to_its_offsets_and_counts_every_event_once_without_replay()
    {
        using var directory = TestEnvironment.CreateTempDirectory("clickstream-checkpoint");
        await using var topic = new TopicFixture();
        topic.ProduceHits(0, 500);
        topic.Flush();
        var first = await RunUntil(topic.BootstrapServers, directory.Path, 500);
        var visitors = first.Services.GetRequiredService<LiveStats>().Snapshot().UniqueVisitors;
        await StopAsync(first);

        topic.ProduceHits(500, 800);
        topic.Flush();
        var second = await RunUntil(topic.BootstrapServers, directory.Path, 800);
        var status = second.Services.GetRequiredService<StateCheckpointer>().Status();
        var snapshot = second.Services.GetRequiredService<LiveStats>().Snapshot();
        Assert.Equal(500, status.RestoredPosition);
        Assert.Equal(0, snapshot.DuplicatesDropped); // nothing below the checkpoint was read again
        Assert.Equal(visitors, snapshot.UniqueVisitors);
        Assert.Equal(0, status.Corrupt);
        // Same topic: the reconciliation strip's applied is everything it carried.
        var report = second.Services.GetRequiredService<Reconciliation.PipelineReconciler>().Report();
        Assert.Equal(800, report.Stages.Single(s => s.Name == "applied").Count);
        // Nothing more arrives: the total stays exact.
        Assert.False(await TestEnvironment.EventuallyAsync(() => second.Services.GetRequiredService<LiveStats>().TotalEvents != 800, TimeSpan.FromSeconds(2)));
        await StopAsync(second);
    }

    [Fact]
    public async Task More_than_the_emulators_5_MiB_per_partition_then_a_restart_keeps_the_history_exact_where_a_replay_loses_the_oldest()
    {
        using var directory = TestEnvironment.CreateTempDirectory("clickstream-checkpoint");
        await using var topic = new TopicFixture(partitions: 1);
        const int Hits = 30_000; // ~10 MB of uncompressed lines in one partition
        var first = Start(topic.BootstrapServers, directory.Path);
        var stats = first.Services.GetRequiredService<LiveStats>();
        for (var i = 0; i < Hits; i += 3_000)
        {
            // In steps the consumer keeps up with, so it reads every batch before the mock drops it.
            topic.ProduceHits(i, i + 3_000);
            topic.Flush();
            var applied = i + 3_000;
            Assert.True(await TestEnvironment.EventuallyAsync(() => stats.TotalEvents == applied, TimeSpan.FromSeconds(60)), $"{stats.TotalEvents} of {applied}");
        }

        await StopAsync(first);
        using (var admin = new Confluent.Kafka.ConsumerBuilder<Confluent.Kafka.Ignore, Confluent.Kafka.Ignore>(new Confluent.Kafka.ConsumerConfig { BootstrapServers = topic.BootstrapServers, GroupId = "watermarks" }).Build())
        {
            var low = admin.QueryWatermarkOffsets(new Confluent.Kafka.TopicPartition(TopicFixture.Topic, 0), TimeSpan.FromSeconds(10)).Low.Value;
            Assert.True(low > 0, "the mock kept every batch: the test wrote too little");
        }

        var second = await RunUntil(topic.BootstrapServers, directory.Path, Hits);
        Assert.Equal(0, second.Services.GetRequiredService<LiveStats>().Snapshot().LostToOffsetResets);
        await StopAsync(second);

        // Today's way, a replay of what the topic still holds, counts less and reports the rest lost.
        var replay = Start(topic.BootstrapServers, null);
        var replayed = replay.Services.GetRequiredService<LiveStats>();
        Assert.True(await TestEnvironment.EventuallyAsync(() => replayed.TotalEvents > 0, TimeSpan.FromSeconds(60)));
        Assert.False(await TestEnvironment.EventuallyAsync(() => replayed.TotalEvents >= Hits, TimeSpan.FromSeconds(3)), $"{replayed.TotalEvents}");
        await StopAsync(replay);
    }

    [Fact]
    public async Task A_topic_that_starts_over_empty_keeps_the_history_counts_its_new_events_and_reports_nothing_lost()
    {
        using var directory = TestEnvironment.CreateTempDirectory("clickstream-checkpoint");
        await using (var old = new TopicFixture())
        {
            old.ProduceHits(0, 400);
            old.Flush();
            await StopAsync(await RunUntil(old.BootstrapServers, directory.Path, 400));
        }

        // The emulator restarted: same topic name, offsets from 0 again, fewer events than before.
        await using var fresh = new TopicFixture();
        fresh.ProduceHits(1_000, 1_040);
        fresh.Flush();
        var second = await RunUntil(fresh.BootstrapServers, directory.Path, 440);
        var snapshot = second.Services.GetRequiredService<LiveStats>().Snapshot();
        var status = second.Services.GetRequiredService<StateCheckpointer>().Status();
        Assert.Equal(0, snapshot.LostToOffsetResets);
        Assert.Equal(0, snapshot.DuplicatesDropped);
        Assert.True(status.RestartedPartitions > 0, $"{status}");
        // The pixel and shipper count what the new topic carries; so does the strip's applied, across another restart.
        Assert.Equal(40, second.Services.GetRequiredService<Reconciliation.PipelineReconciler>().Report().Stages.Single(s => s.Name == "applied").Count);
        await StopAsync(second);
        var third = await RunUntil(fresh.BootstrapServers, directory.Path, 440);
        Assert.Equal(40, third.Services.GetRequiredService<Reconciliation.PipelineReconciler>().Report().Stages.Single(s => s.Name == "applied").Count);
        await StopAsync(third);
    }

    [Fact]
    public async Task A_corrupt_newest_checkpoint_falls_back_to_the_previous_one_counted_and_nothing_counts_twice()
    {
        using var directory = TestEnvironment.CreateTempDirectory("clickstream-checkpoint");
        await using var topic = new TopicFixture();
        topic.ProduceHits(0, 300);
        topic.Flush();
        var first = await RunUntil(topic.BootstrapServers, directory.Path, 300);
        var checkpoints = first.Services.GetRequiredService<StateCheckpointer>();
        Assert.True(await TestEnvironment.EventuallyAsync(() => checkpoints.Status().Written >= 1, TimeSpan.FromSeconds(30)));
        topic.ProduceHits(300, 700);
        topic.Flush();
        Assert.True(await TestEnvironment.EventuallyAsync(() => first.Services.GetRequiredService<LiveStats>().TotalEvents == 700, TimeSpan.FromSeconds(60)));
        await StopAsync(first);

        var files = Directory.GetFiles(directory.Path, "state-*.ckpt").Order(StringComparer.Ordinal).ToList();
        Assert.True(files.Count >= 2, string.Join(", ", files));
        var newest = await File.ReadAllBytesAsync(files[^1]);
        newest[newest.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(files[^1], newest);

        var second = await RunUntil(topic.BootstrapServers, directory.Path, 700);
        var status = second.Services.GetRequiredService<StateCheckpointer>().Status();
        Assert.Equal(1, status.Corrupt);
        Assert.Equal(CheckpointFormat.SequenceOf(Path.GetFileName(files[^2])), status.RestoredSequence);
        Assert.Equal(0, second.Services.GetRequiredService<LiveStats>().Snapshot().DuplicatesDropped);
        Assert.False(await TestEnvironment.EventuallyAsync(() => second.Services.GetRequiredService<LiveStats>().TotalEvents != 700, TimeSpan.FromSeconds(2)));
        await StopAsync(second);
    }
}
