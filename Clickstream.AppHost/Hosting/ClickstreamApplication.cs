using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>The pipeline, top to bottom: the stream first, then the pixel, the shipper and the consumer.</summary>
public static class ClickstreamApplication
{
    /// <summary>The two addresses a user wants first, in the AppHost's own output.</summary>
    private static Task Announce(ResourceReadyEvent e, string message)
    {
        e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Clickstream").LogInformation("{Message}", message);
        return Task.CompletedTask;
    }

    /// <summary>Only the Kestrel pixel has <c>/stats</c>; asking nginx would log a 404 line per poll, counted as a hit.</summary>
    private static IResourceBuilder<ProjectResource> WithPixelStats(this IResourceBuilder<ProjectResource> consumer,
        IResourceBuilder<IResourceWithEndpoints> pixel, ClickstreamSettings settings) =>
        settings.PixelServer == PixelServer.Kestrel
            ? consumer.WithEnvironment("Reconciliation__PixelUrl", pixel.GetEndpoint("http"))
            : consumer.WithEnvironment("Reconciliation__PixelUrl", string.Empty);

    public static void AddClickstream(this IDistributedApplicationBuilder builder, IPrerequisites prerequisites)
    {
        var settings = ClickstreamSettings.From(builder);
        var publishing = builder.ExecutionContext.IsPublishMode;
        if (publishing)
        {
            ClickstreamPublishing.RequireDeployable(settings);
        }

        var kafka = builder.AddClickstreamKafka(settings, prerequisites);
        if (kafka is { Broker: { } broker, Announcement: { } announcement })
        {
            broker.OnResourceReady((_, e, _) => Announce(e, announcement));
        }

        // The pixel (Kestrel or nginx, by Pixel:Server) writes the access log that the shipper tails.
        var pixel = builder.AddClickstreamPixel(settings, prerequisites)
            .WithUrlForEndpoint("http", url => url.DisplayText = "Pixel (/i)")
            .WithHttpHealthCheck("/health")
            .OnResourceReady((_, e, _) => Announce(e, $"Pixel: http://localhost:{settings.Ports.Pixel}/i?param=testing"));

        var consumer = builder.AddProject<Projects.Clickstream_Consumer>("consumer")
            .WithHttpEndpoint(port: settings.Ports.Consumer, name: "http", isProxied: false)
            .WithUrlForEndpoint("http", url => url.DisplayText = "Live dashboard")
            .WithEnvironment("Kafka__Topic", settings.Topic)
            .WithKafka(kafka, KafkaRole.Consumer)
            .WithHttpHealthCheck("/health")
            .OnResourceReady((_, e, _) => Announce(e, $"Live dashboard: http://localhost:{settings.Ports.Consumer}/"));

        if (publishing)
        {
            // One unit per replica: the shipper runs beside the pixel on the replica's volume (infra/pixel.tmpl.yaml).
            ((IResourceBuilder<ProjectResource>)(object)pixel).WithShipperOfTheUnit(settings, kafka).WithExternalHttpEndpoints();
            // Behind the load balancer each /stats answer is one replica's counts: the strip shows n/a rather than a false gap.
            consumer.WithExternalHttpEndpoints()
                .WithEnvironment("Reconciliation__PixelUrl", string.Empty)
                .WithEnvironment("Reconciliation__ShipperUrl", string.Empty);
            return;
        }

        var shipper = builder.AddProject<Projects.Clickstream_Shipper>("shipper")
            .WithHttpEndpoint(name: "http")
            .WithShipperSettings(settings)
            .WithKafka(kafka, KafkaRole.Producer)
            .WaitFor(pixel)
            .WithHttpHealthCheck("/health");

        // The reconciliation strip asks each stage what it counted (GET /stats).
        consumer.WithPixelStats(pixel, settings)
            .WithEnvironment("Reconciliation__ShipperUrl", shipper.GetEndpoint("http"))
            .WithEnvironment("Checkpoints__Directory", settings.ConsumerStateDirectory)
            .WithEnvironment("Lake__Directory", Path.Combine(settings.DataDirectory, "lake"));
    }
}
