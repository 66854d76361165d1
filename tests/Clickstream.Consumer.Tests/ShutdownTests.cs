using System.Diagnostics;
using Clickstream.Consumer.Consuming;
using Clickstream.Consumer.Stats;
using Clickstream.Contracts;
using Clickstream.Tests;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Clickstream.Consumer.Tests;

/// <summary>Stopping is prompt however busy the consumer is, and what was applied is committed.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Stopping_with_the_buffer_full_after_a_broker_outage_is_prompt_and_commits_exactly_what_was_applied()
    {
        // Applies slowed to ~1 ms (as by tracing under load), so the consume thread outruns the apply thread
        // and waits on a full hand-over buffer when the stop comes. Only this test's messages, by trace id:
        // the listener is process-wide.
        var traceId = ActivityTraceId.CreateRandom();
        using var slow = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ClickstreamConsumer.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.TraceId == traceId)
                {
                    Thread.Sleep(1);
                }
            },
        };
        ActivitySource.AddActivityListener(slow);

        const int Produced = 30_000;
        await using var topic = new TopicFixture();
        for (var i = 0; i < Produced; i++)
        {
            var cookie = $"{i % 40:x32}";
            topic.Produce(TopicFixture.Line(i, cookie), cookie, $"f:0:{i}", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        }

        topic.Flush();

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:kafka"] = topic.BootstrapServers,
            ["Kafka:Consumer:Config:session.timeout.ms"] = "6000",
            ["Reconciliation:PixelUrl"] = "",
            ["Reconciliation:ShipperUrl"] = "",
        });
        builder.AddClickstreamConsumer();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(10));
        using var host = builder.Build();
        await host.StartAsync();
        var stats = host.Services.GetRequiredService<LiveStats>();
        Assert.True(await TestEnvironment.EventuallyAsync(() => stats.TotalEvents > 100, TimeSpan.FromSeconds(30)), $"{stats.Snapshot()}");

        // An outage the consumer notices (its Kafka health check fails), then the backlog fills the hand-over buffer.
        var health = host.Services.GetRequiredService<HealthCheckService>();
        topic.SetBrokerDown();
        Assert.True(await TestEnvironment.EventuallyAsync(async () => (await health.CheckHealthAsync()).Status == HealthStatus.Unhealthy,
            TimeSpan.FromSeconds(60)), "the consumer never saw the broker down");
        topic.SetBrokerUp();
        var handOver = host.Services.GetRequiredService<HandOver>();
        Assert.True(await TestEnvironment.EventuallyAsync(() => handOver.Reader.Count == HandOver.BufferedBatches, TimeSpan.FromSeconds(60)),
            $"the hand-over buffer never filled ({handOver.Reader.Count} of {HandOver.BufferedBatches} batches; {stats.Snapshot()})");
        Assert.True(stats.TotalEvents < Produced / 2, $"caught up before the stop ({stats.TotalEvents}): the buffer was not full");

        // Stopping must not wait out the host's shutdown timeout (it used to): with that timeout far beyond the wait
        // below, a stop that depends on it fails here, and a slow machine has minutes to stop on its own.
        await host.StopAsync().WaitAsync(TimeSpan.FromMinutes(2));

        // At-least-once: each partition is applied in order from offset 0 and every event is unique, so the
        // committed offsets add up to the number applied: nothing beyond it, nothing applied left out.
        using var probe = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = topic.BootstrapServers,
            GroupId = PipelineDefaults.ConsumerGroup,
        }).Build();
        var committed = probe.Committed(Enumerable.Range(0, 4).Select(p => new TopicPartition(TopicFixture.Topic, p)), TimeSpan.FromSeconds(10));
        Assert.Equal(stats.TotalEvents, committed.Sum(c => Math.Max(c.Offset.Value, 0)));
    }
}
