using Clickstream.ServiceDefaults.Kafka;
using Clickstream.Shipper;
using Clickstream.Shipper.Buffering;
using Clickstream.Shipper.DeadLetters;
using Clickstream.Shipper.Delivery;
using Clickstream.Shipper.Tailing;
using Confluent.Kafka;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class ShipperExtensions
{
    public static IHostApplicationBuilder AddShipper(this IHostApplicationBuilder builder)
    {
        builder.AddTelemetry(meters: [ShipperMetrics.MeterName], activitySources: [ShipperMetrics.ActivitySource.Name]);
        builder.Services.AddOptions<ShipperOptions>()
            .BindConfiguration(ShipperOptions.SectionName)
            .PostConfigure(o =>
            {
                if (o.Paths.Count == 0)
                {
                    o.Paths.Add(ShipperOptions.DefaultPath);
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.AddKafkaProducer<byte[]?, byte[]>("kafka", settings =>
        {
            // Defaults for a shipper that must not lose or reorder; each stays overridable from Kafka:Producer:Config.
            var eventHubs = settings.ConnectionString is { } cs && KafkaConnection.Parse(cs).IsEventHubs;
            settings.SetDefaults(new ProducerConfig
            {
                EnableIdempotence = true,
                MessageTimeoutMs = 0, // librdkafka retries until delivered
                LingerMs = 5,
                // Event Hubs takes gzip on Premium/Dedicated only; lz4 keeps the emulator's 5 MiB partitions roomy.
                CompressionType = eventHubs ? CompressionType.None : CompressionType.Lz4,
                QueueBufferingMaxMessages = 1_000_000,
                // The delivery handler reads only the error: not copying key, value, headers back saves a lot per line.
                DeliveryReportFields = "status",
            });
        });

        // A drain on stop takes as long as it is allowed to; the host must not give up on it earlier.
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<ShipperOptions>>((host, shipper) =>
        {
            var needed = shipper.Value.DrainOnStop ? shipper.Value.DrainTimeout + TimeSpan.FromSeconds(5) : TimeSpan.Zero;
            if (host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ShipperMetrics>();
        builder.Services.AddSingleton<DeadLetterWriter>();

        // The pipeline: source (file tails) → bounded buffer → sink (Kafka sender, with its in-flight window).
        builder.Services.AddSingleton(sp => new TailContext(sp.GetRequiredService<IOptions<ShipperOptions>>().Value,
            sp.GetRequiredService<LineBuffer>(), sp.GetRequiredService<DeadLetterWriter>(), sp.GetRequiredService<ShipperMetrics>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<FileTail>>()));
        builder.Services.AddSingleton<LineBuffer>();
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ShipperOptions>>().Value;
            return new InFlightWindow(options.MaxInFlightMessages, options.MaxInFlightBytes);
        });
        builder.Services.AddSingleton<KafkaSender>();
        builder.Services.AddSingleton<TailCoordinator>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TailCoordinator>());
        builder.Services.AddHealthChecks().AddCheck<ShipperHealthCheck>("shipper");
        return builder;
    }
}
