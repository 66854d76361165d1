using Clickstream.Consumer.Consuming;
using Clickstream.Consumer.Stats;
using Confluent.Kafka;

namespace Microsoft.Extensions.Hosting;

public static class ConsumerExtensions
{
    public static IHostApplicationBuilder AddClickstreamConsumer(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<LiveStats>();
        builder.Services.AddSingleton<ConsumerMetrics>();
        builder.Services.AddSingleton<OffsetGapDetector>();

        builder.AddKafkaConsumer<byte[]?, byte[]>("kafka",
            settings =>
            {
                settings.Config.TryAdd("group.id", "clickstream-dashboard");
                settings.Config.TryAdd("auto.offset.reset", "earliest");
                // At-least-once: offsets are stored by hand after an event is applied, then auto-committed.
                settings.Config.TryAdd("enable.auto.offset.store", "false");
                settings.Config.TryAdd("enable.auto.commit", "true");
                settings.Config.TryAdd("auto.commit.interval.ms", "1000");
                settings.Config.TryAdd("fetch.wait.max.ms", "50");
            },
            (sp, consumer) =>
            {
                var gaps = sp.GetRequiredService<OffsetGapDetector>();
                consumer.SetPartitionsAssignedHandler((c, partitions) =>
                {
                    try
                    {
                        gaps.Assigned(c.Committed(partitions, TimeSpan.FromSeconds(5)));
                    }
                    catch (KafkaException)
                    {
                        // Without committed offsets the first message of each partition sets the baseline.
                    }
                });
            });

        builder.Services.AddHostedService<ClickstreamConsumer>();
        return builder;
    }
}
