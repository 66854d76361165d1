using System.Globalization;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Clickstream.Contracts;

namespace Aspire.Hosting;

/// <summary>
/// Microsoft's Event Hubs emulator, shaped like Aspire.Hosting.Azure.EventHubs' <c>RunAsEmulator</c>
/// (not served here): the emulator container with Azurite for its metadata and checkpoints, and a
/// Config.json that names the hub. Its Kafka endpoint is 9092, SASL_PLAINTEXT PLAIN.
/// </summary>
public static class EventHubsEmulatorHostingExtensions
{
    public static IResourceBuilder<ContainerResource> AddEventHubsEmulator(this IDistributedApplicationBuilder builder, string name,
        ClickstreamSettings settings)
    {
        var azurite = builder.AddContainer($"{name}-azurite", "mcr.microsoft.com/azure-storage/azurite", "3.35.0")
            .WithEndpoint(targetPort: 10000, name: "blob", scheme: "http")
            .WithEndpoint(targetPort: 10002, name: "table", scheme: "http");

        var configFile = WriteConfig(settings);
        return builder.AddContainer(name, "mcr.microsoft.com/azure-messaging/eventhubs-emulator", "2.1.0")
            .WithEndpoint(port: settings.Ports.Kafka, targetPort: 9092, name: "kafka", scheme: "tcp", isProxied: false)
            .WithEndpoint(targetPort: 5672, name: "amqp", scheme: "amqp")
            .WithBindMount(configFile, "/Eventhubs_Emulator/ConfigFiles/Config.json", isReadOnly: true)
            .WithEnvironment("ACCEPT_EULA", "Y")
            .WithEnvironment("BLOB_SERVER", $"{name}-azurite")
            .WithEnvironment("METADATA_SERVER", $"{name}-azurite")
            .WithReferenceRelationship(azurite)
            .WaitFor(azurite);
    }

    /// <summary>The emulator reads its namespace, hub and partition count from this file.</summary>
    private static string WriteConfig(ClickstreamSettings settings)
    {
        var config = new
        {
            UserConfig = new
            {
                NamespaceConfig = new[]
                {
                    new
                    {
                        Type = "EventHub",
                        Name = "emulatorNs1",
                        Entities = new[]
                        {
                            new
                            {
                                Name = settings.Topic,
                                // The emulator allows at most 32 partitions per hub.
                                PartitionCount = Math.Min(settings.Partitions, 32).ToString(CultureInfo.InvariantCulture),
                                ConsumerGroups = new[] { new { Name = PipelineDefaults.ConsumerGroup } },
                            },
                        },
                    },
                },
                LoggingConfig = new { Type = "File" },
            },
        };
        Directory.CreateDirectory(settings.DataDirectory);
        var path = Path.Combine(settings.DataDirectory, "eventhubs-emulator-config.json");
        File.WriteAllText(path, JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }
}
