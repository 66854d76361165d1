using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>
/// The embedded Kafka-protocol broker as a resource, shaped like Aspire.Hosting.Kafka's <c>AddKafka</c>
/// (not served here): services reference it and receive <c>ConnectionStrings__{name}</c>.
/// </summary>
public static class KafkaEmulatorHostingExtensions
{
    public const string KafkaEndpointName = "kafka";

    public const string EventHubsEndpointName = "eventhubs";

    public const string EventHubsEmulatorEndpointName = "eventhubs-emulator";

    public static IResourceBuilder<ProjectResource> AddKafkaEmulator(this IDistributedApplicationBuilder builder, string name,
        int port, string topic, int partitions) =>
        builder.AddProject<Projects.Clickstream_KafkaEmulator>(name)
            // Not proxied: the broker advertises this port in its metadata, so clients must reach it directly.
            .WithEndpoint(KafkaEndpointName, e => Tcp(e, port))
            .WithEnvironment("KafkaEmulator__Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("KafkaEmulator__Topic", topic)
            .WithEnvironment("KafkaEmulator__Partitions", partitions.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithHttpEndpoint(name: "http")
            .WithHttpHealthCheck("/health");

    /// <summary>
    /// Turns on the emulator's Event Hubs-style listener: TLS + SASL PLAIN on <paramref name="port"/>, the Event Hubs
    /// emulator's SASL_PLAINTEXT convention on <paramref name="emulatorPort"/>, the CA generated into (and reused from)
    /// <paramref name="certificateDirectory"/>, whose <c>ca.crt</c> the clients trust.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithEventHubsListener(this IResourceBuilder<ProjectResource> emulator,
        int port, int emulatorPort, string certificateDirectory, TimeSpan? idleTimeout)
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        emulator
            .WithEndpoint(EventHubsEndpointName, e => Tcp(e, port))
            .WithEndpoint(EventHubsEmulatorEndpointName, e => Tcp(e, emulatorPort))
            .WithEnvironment("KafkaEmulator__EventHubs__Enabled", "true")
            .WithEnvironment("KafkaEmulator__EventHubs__Port", port.ToString(invariant))
            .WithEnvironment("KafkaEmulator__EventHubs__DevelopmentEmulatorPort", emulatorPort.ToString(invariant))
            .WithEnvironment("KafkaEmulator__EventHubs__CertificateDirectory", certificateDirectory);
        if (idleTimeout is { } idle)
        {
            emulator.WithEnvironment("KafkaEmulator__EventHubs__IdleTimeout", idle.ToString("c", invariant));
        }

        return emulator;
    }

    // Not proxied: the broker and the listener name their own ports in the metadata they answer.
    private static void Tcp(EndpointAnnotation endpoint, int port)
    {
        endpoint.Port = port;
        endpoint.TargetPort = port;
        endpoint.IsProxied = false;
        endpoint.UriScheme = "tcp";
        endpoint.Transport = "tcp";
    }
}
