using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>
/// What the manifest says when the AppHost is published (<c>--publisher manifest</c>, as azd runs it), and which
/// modes can be published at all. Deployed, the pixel and the shipper are one unit: one Container App whose two
/// containers share a volume (<c>infra/pixel.tmpl.yaml</c>), built from the pixel's image, which carries the
/// shipper. So the manifest has no shipper resource: its settings ride in the pixel's environment, which both
/// containers receive.
/// </summary>
public static class ClickstreamPublishing
{
    /// <summary>
    /// Where the unit's shared volume is mounted in both containers (an EmptyDir: it lives as long as the replica,
    /// across container restarts): access logs in <c>logs/</c>, shipper state in <c>shipper/</c>.
    /// </summary>
    public const string ContainerDataDirectory = "/var/clickstream";

    /// <summary>Refuses, in one sentence, a mode whose manifest azd could deploy but that would not work in Azure.</summary>
    public static void RequireDeployable(ClickstreamSettings settings)
    {
        var mode = ClickstreamSettings.Kebab(settings.KafkaMode.ToString());
        var why = settings.KafkaMode switch
        {
            KafkaMode.EventHubs => null,
            KafkaMode.Emulator => "its broker lives in the AppHost's own process on this machine",
            KafkaMode.External =>
                "the Container App templates in Clickstream.AppHost/infra connect to Event Hubs with managed identities, not to a bootstrap list",
            _ => "it is a development broker for this machine",
        };
        if (why is not null)
        {
            throw new ClickstreamSetupException(
                $"Kafka:Mode={mode} cannot be published: {why}; publish with --Kafka:Mode=eventhubs (the default when publishing).");
        }

        if (settings.PixelServer != PixelServer.Kestrel)
        {
            var server = ClickstreamSettings.Kebab(settings.PixelServer.ToString());
            throw new ClickstreamSetupException(
                $"Pixel:Server={server} cannot be published: azd builds images only for .NET projects and gives each Container App only its own image, so no image would carry the shipper beside nginx; publish with --Pixel:Server=kestrel (the default), which writes the same log line.");
        }
    }

    /// <summary>The shipper's settings for the unit, in the environment of the pixel resource (both containers get it).</summary>
    public static IResourceBuilder<T> WithShipperOfTheUnit<T>(this IResourceBuilder<T> pixel, ClickstreamSettings settings, ClickstreamKafka kafka)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport =>
        pixel.WithShipperSettings(settings)
            // The volume goes with the replica: on SIGTERM the shipper ships every line to the end before it exits.
            .WithEnvironment("Shipper__DrainOnStop", "true")
            .WithKafka(kafka, KafkaRole.Producer);

    /// <summary>The settings a shipper needs wherever it runs: which logs to tail, where its state lives, the topic.</summary>
    public static IResourceBuilder<T> WithShipperSettings<T>(this IResourceBuilder<T> shipper, ClickstreamSettings settings)
        where T : IResourceWithEnvironment =>
        shipper.WithEnvironment("Shipper__Paths__0", Path.Combine(settings.LogDirectory, "*.log"))
            .WithEnvironment("Shipper__StateDirectory", settings.ShipperStateDirectory)
            .WithEnvironment("Kafka__Topic", settings.Topic);
}
