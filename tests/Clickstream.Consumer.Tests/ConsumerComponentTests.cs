using System.Collections.Concurrent;
using System.Diagnostics;
using Clickstream.Consumer.Consuming;
using Clickstream.Consumer.Stats;
using Clickstream.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Clickstream.Consumer.Tests;

/// <summary>The consume loop against the embedded broker: duplicates, malformed messages and restarts do not bend the counts.</summary>
public sealed class ConsumerComponentTests
{
    private static IHost BuildHost(string bootstrap, bool replay = true)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:kafka"] = bootstrap,
            ["Kafka:Consumer:Config:session.timeout.ms"] = "6000",
            ["Consumer:ReplayOnStart"] = replay ? "true" : "false",
            ["Reconciliation:PixelUrl"] = "http://127.0.0.1:9",
            ["Reconciliation:ShipperUrl"] = "http://127.0.0.1:9",
        });
        builder.AddClickstreamConsumer();
        return builder.Build();
    }

    [Fact]
    public async Task Counts_are_exact_with_redelivered_duplicates_and_malformed_messages_and_each_apply_continues_the_trace()
    {
        var applySpans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ClickstreamConsumer.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = applySpans.Add,
        };
        ActivitySource.AddActivityListener(listener);

        await using var topic = new TopicFixture();
        for (var i = 0; i < 300; i++)
        {
            var cookie = $"{i % 40:x32}";
            var line = TopicFixture.Line(i, cookie, path: $"/i?n={i % 3}");
            topic.Produce(line, cookie, $"f:0:{i}");
            if (i % 10 == 0)
            {
                topic.Produce(line, cookie, $"f:0:{i}"); // a redelivery
            }
        }

        topic.Produce("garbage{", "x", "bad:1");
        topic.Produce("[]", "x", "bad:2");
        var traceId = ActivityTraceId.CreateRandom();
        var shipperSpan = ActivitySpanId.CreateRandom();
        topic.Produce(TopicFixture.Line(1000, "traced"), "traced", "f:0:1000", $"00-{traceId}-{shipperSpan}-01");
        topic.Flush();

        using var host = BuildHost(topic.BootstrapServers);
        await host.StartAsync();
        var stats = host.Services.GetRequiredService<LiveStats>();

        var done = await TestEnvironment.EventuallyAsync(() => stats.Snapshot() is { TotalEvents: 301, DuplicatesDropped: 30, MalformedSkipped: 2 },
            TimeSpan.FromSeconds(30));
        var snapshot = stats.Snapshot();
        Assert.True(done, $"snapshot: {snapshot}");
        Assert.Equal(41, snapshot.UniqueVisitors);
        Assert.Equal(0, snapshot.LostToOffsetResets);
        Assert.Equal(["/i?n=0", "/i?n=1", "/i?n=2", "/i?param=testing"], snapshot.TopPaths.Select(p => p.Key).Order());

        var traced = Assert.Single(applySpans, a => a.TraceId == traceId);
        Assert.Equal("apply", traced.OperationName);
        Assert.Equal(shipperSpan, traced.ParentSpanId);
        Assert.Equal(ActivityKind.Consumer, traced.Kind);
        await host.StopAsync();
    }

    /// <summary>The offsets the group committed, summed over the partitions (each partition counts from offset 0).</summary>
    private static long CommittedSum(TopicFixture topic)
    {
        using var probe = new Confluent.Kafka.ConsumerBuilder<Confluent.Kafka.Ignore, Confluent.Kafka.Ignore>(new Confluent.Kafka.ConsumerConfig
        {
            BootstrapServers = topic.BootstrapServers,
            GroupId = Clickstream.Contracts.PipelineDefaults.ConsumerGroup,
        }).Build();
        return probe.Committed(Enumerable.Range(0, 4).Select(p => new Confluent.Kafka.TopicPartition(TopicFixture.Topic, p)), TimeSpan.FromSeconds(10))
            .Sum(c => Math.Max(c.Offset.Value, 0));
    }

    [Fact]
    public async Task A_restarted_consumer_rebuilds_exact_totals_by_replaying_and_a_non_replaying_one_does_not()
    {
        await using var topic = new TopicFixture();
        topic.ProduceHits(0, 200);
        topic.ProduceHits(0, 20); // redeliveries
        topic.Flush();

        using (var first = BuildHost(topic.BootstrapServers))
        {
            await first.StartAsync();
            var stats = first.Services.GetRequiredService<LiveStats>();
            Assert.True(await TestEnvironment.EventuallyAsync(() => stats.TotalEvents == 200, TimeSpan.FromSeconds(30)), $"{stats.Snapshot()}");
            // Applied and auto-committed: all 220 messages (the redeliveries' offsets too).
            Assert.True(await TestEnvironment.EventuallyAsync(() => CommittedSum(topic) == 220, TimeSpan.FromSeconds(30)), $"committed {CommittedSum(topic)}");
            await first.StopAsync();
        }

        topic.ProduceHits(200, 250);
        topic.Flush();

        // Same group, committed offsets at the end: a fresh process replays everything and drops the redeliveries again.
        using (var second = BuildHost(topic.BootstrapServers))
        {
            await second.StartAsync();
            var stats = second.Services.GetRequiredService<LiveStats>();
            // Every one of the 270 messages applied or dropped: only then does the count prove there is no duplicate.
            Assert.True(await TestEnvironment.EventuallyAsync(() => stats.TotalEvents + stats.Snapshot().DuplicatesDropped >= 270,
                TimeSpan.FromSeconds(30)), $"{stats.Snapshot()}");
            Assert.Equal(250, stats.TotalEvents);
            Assert.Equal(20, stats.Snapshot().DuplicatesDropped);
            Assert.Equal(40, stats.Snapshot().UniqueVisitors);
            await second.StopAsync();
        }

        // Without replay, a fresh process continues from the committed offsets and sees only what is new.
        topic.ProduceHits(250, 260);
        topic.Flush();
        using var third = BuildHost(topic.BootstrapServers, replay: false);
        await third.StartAsync();
        var thirdStats = third.Services.GetRequiredService<LiveStats>();
        // Counted only once this process has read to the end of every partition (all 280 offsets): a count of 10
        // seen earlier could be a replay on its way past 10.
        var positions = third.Services.GetRequiredService<OffsetGapDetector>();
        long Position() => Enumerable.Range(0, 4).Sum(p => positions.Position(new Confluent.Kafka.TopicPartition(TopicFixture.Topic, p)) ?? 0);
        Assert.True(await TestEnvironment.EventuallyAsync(() => Position() == 280, TimeSpan.FromSeconds(30)), $"position {Position()}, {thirdStats.Snapshot()}");
        Assert.Equal(10, thirdStats.TotalEvents);
        Assert.Equal(0, thirdStats.Snapshot().DuplicatesDropped);
        await third.StopAsync();
    }
}
