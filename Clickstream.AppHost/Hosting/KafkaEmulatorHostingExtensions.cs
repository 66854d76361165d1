using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>
/// The embedded Kafka-protocol broker as a resource, shaped like Aspire.Hosting.Kafka's <c>AddKafka</c>
/// (not served here): services reference it and receive <c>ConnectionStrings__{name}</c>.
/// </summary>
public static class KafkaEmulatorHostingExtensions
{
    public const string KafkaEndpointName = "kafka";

    public static IResourceBuilder<ProjectResource> AddKafkaEmulator(this IDistributedApplicationBuilder builder, string name,
        int port, string topic, int partitions) =>
        builder.AddProject<Projects.Clickstream_KafkaEmulator>(name)
            // Not proxied: the broker advertises this port in its metadata, so clients must reach it directly.
            .WithEndpoint(KafkaEndpointName, e =>
            {
                e.Port = port;
                e.TargetPort = port;
                e.IsProxied = false;
                e.UriScheme = "tcp";
                e.Transport = "tcp";
            })
            .WithEnvironment("KafkaEmulator__Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("KafkaEmulator__Topic", topic)
            .WithEnvironment("KafkaEmulator__Partitions", partitions.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithHttpEndpoint(name: "http")
            .WithHttpHealthCheck("/health");
}
