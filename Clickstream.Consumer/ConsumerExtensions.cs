using Clickstream.Consumer.Consuming;
using Microsoft.AspNetCore.Builder;
using Clickstream.Consumer.Reconciliation;
using Clickstream.Consumer.Sink;
using Clickstream.Consumer.Stats;
using Clickstream.Contracts;
using Confluent.Kafka;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class ConsumerExtensions
{
    public static IHostApplicationBuilder AddClickstreamConsumer(this IHostApplicationBuilder builder)
    {
        // The page polls the API every few seconds (and holds the event stream): housekeeping, not hits.
        builder.AddTelemetry(meters: [ConsumerMetrics.MeterName], activitySources: [ClickstreamConsumer.ActivitySourceName],
            untracedPaths: [StatsApi.PathPrefix]);
        builder.Services.AddOptions<ConsumerOptions>().BindConfiguration(ConsumerOptions.SectionName)
            .Validate(o => o.Problem() is null, "Consumer options are invalid: DeduplicationWindow must be at least 1, RevokeDrainTimeout and AssignmentQueryTimeout positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<LiveStats>();
        builder.Services.AddSingleton(new RecentEvents());
        builder.Services.AddSingleton<Clickstream.Consumer.Api.StreamFrames>();
        builder.Services.AddSingleton<ConsumerMetrics>();
        builder.Services.AddSingleton<OffsetGapDetector>();
        builder.Services.AddSingleton<PendingOffsets>();
        builder.Services.AddSingleton(sp => new DeduplicationWindow(sp.GetRequiredService<IOptions<ConsumerOptions>>().Value.DeduplicationWindow));
        builder.Services.AddSingleton<StartingPositions>();
        builder.Services.AddSingleton<RebalanceHandler>();
        builder.Services.AddSingleton<HandOver>();
        builder.Services.AddSingleton<ConsumeLoop>();
        builder.Services.AddSingleton<EventApplier>();
        builder.AddStateCheckpoints();
        builder.Services.AddOptions<Clickstream.Consumer.Stats.History.RangeOptions>().BindConfiguration(Clickstream.Consumer.Stats.History.RangeOptions.SectionName)
            .Validate(o => o.ZonesExist(), "Ranges:DefaultTimeZone and every Ranges:TimeZones:SITE must be a time zone id known here (IANA, e.g. Europe/Berlin).")
            .ValidateOnStart();
        builder.Services.AddSingleton<HourlyJsonlSink>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HourlyJsonlSink>());
        builder.AddPipelineReconciliation();

        builder.AddKafkaConsumer<byte[]?, byte[]>("kafka",
            settings =>
            {
                settings.SetDefaults(new ConsumerConfig
                {
                    GroupId = PipelineDefaults.ConsumerGroup,
                    AutoOffsetReset = AutoOffsetReset.Earliest,
                    // At-least-once: offsets are stored by hand after an event is applied, then auto-committed.
                    EnableAutoOffsetStore = false,
                    EnableAutoCommit = true,
                    AutoCommitIntervalMs = 1000,
                    FetchWaitMaxMs = 50,
                    // A partition's fetch queue is the group's one consumer queue, so once it holds
                    // queued.min.messages (100k) every partition postpones its next fetch by this backoff:
                    // librdkafka's 1 s default left both our threads idle ~75% of the time (we drain 100k in
                    // ~0.4 s), capping bench/consumer.sh at ~120k events/s; at 10 ms, ~250-330k. The queue's
                    // bound (memory) is unchanged, it is only re-checked sooner.
                    FetchQueueBackoffMs = 10,
                    // The pre-fetched messages librdkafka keeps for the group's one queue: its 64 MiB default is
                    // ~100,000 tracker hits, seconds of work at our pace and memory the aggregates need more;
                    // 16 MiB (~23,000 hits) still outlasts a fetch round trip (bench/consumer.sh: RSS at 1,000,000
                    // tracker events 523 → 420 MiB with the changes beside it, same rate).
                    QueuedMaxMessagesKbytes = 16 * 1024,
                    // Marshal only the headers besides key and value: the topic name (a string per message)
                    // and the timestamp are not needed (one topic; hit time is in the line), and skipping them
                    // took a bare consumer from ~170k to ~330k messages/s here. Positions use Kafka:Topic.
                    ConsumeResultFields = "headers",
                });
            },
            (sp, consumer) => sp.GetRequiredService<RebalanceHandler>().Attach(consumer));

        builder.Services.AddSingleton<ConsumeRefusals>();
        builder.Services.AddHealthChecks().AddCheck<ConsumeRefusals>("kafka-consume-refusals");
        builder.Services.AddHostedService<ClickstreamConsumer>();
        return builder;
    }
}
