using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Clickstream.Contracts;

namespace Aspire.Hosting;

/// <summary>Which side of the stream a service is on: Event Hubs gives each its own right (Send, Listen).</summary>
public enum KafkaRole
{
    Producer,
    Consumer,
}

/// <summary>
/// The stream as the services see it, whatever the mode: a broker resource to wait for (none for an
/// external cluster or Azure) and the value of <c>ConnectionStrings__kafka</c> for each role; for a local
/// TLS endpoint, the CA certificate the clients trust, and what the AppHost says about it once it is ready.
/// </summary>
public sealed record ClickstreamKafka(IResourceBuilder<IResource>? Broker, object ProducerConnection, object ConsumerConnection)
{
    /// <summary>A CA file for <c>ssl.ca.location</c>, when the broker's certificate is not one the system trusts.</summary>
    public string? CaPath { get; init; }

    /// <summary>One line for the AppHost's own output when the broker is ready; never a key.</summary>
    public string? Announcement { get; init; }
}

/// <summary>
/// One funnel for every <c>Kafka:Mode</c>, shaped like Aspire.Hosting.Kafka / Aspire.Hosting.Azure.EventHubs
/// (neither is served here): the rest of the AppHost does not know which mode runs.
/// </summary>
public static class KafkaModes
{
    public const string ApacheKafkaImage = "apache/kafka";
    public const string ApacheKafkaTag = "4.1.0";

    /// <summary>Secret parameters of <c>eventhubs</c> mode with connection strings (and overrides in <c>eventhubs-local</c>).</summary>
    public const string SendConnectionParameter = "eventhubs-send-connection";

    public const string ListenConnectionParameter = "eventhubs-listen-connection";

    public static ClickstreamKafka AddClickstreamKafka(this IDistributedApplicationBuilder builder, ClickstreamSettings settings,
        IPrerequisites prerequisites)
    {
        var publishing = builder.ExecutionContext.IsPublishMode;
        switch (settings.KafkaMode)
        {
            case KafkaMode.Emulator:
            {
                var emulator = builder.AddKafkaEmulator("kafka", settings.Ports.Kafka, settings.Topic, settings.Partitions);
                var address = ReferenceExpression.Create(
                    $"127.0.0.1:{emulator.GetEndpoint(KafkaEmulatorHostingExtensions.KafkaEndpointName).Property(EndpointProperty.Port)}");
                return new ClickstreamKafka(emulator.AsResource(), address, address);
            }

            case KafkaMode.Container:
            {
                RequireContainerEngine(prerequisites, publishing, settings.KafkaMode);
                var port = settings.Ports.Kafka;
                var kafka = builder.AddContainer("kafka", ApacheKafkaImage, ApacheKafkaTag)
                    .WithEndpoint(port: port, targetPort: 9092, name: "kafka", scheme: "tcp", isProxied: false)
                    // KRaft single node: one process is broker and controller.
                    .WithEnvironment("KAFKA_NODE_ID", "1")
                    .WithEnvironment("KAFKA_PROCESS_ROLES", "broker,controller")
                    .WithEnvironment("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093")
                    .WithEnvironment("KAFKA_ADVERTISED_LISTENERS", $"PLAINTEXT://localhost:{port.ToString(CultureInfo.InvariantCulture)}")
                    .WithEnvironment("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
                    .WithEnvironment("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT")
                    .WithEnvironment("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
                    .WithEnvironment("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
                    .WithEnvironment("KAFKA_NUM_PARTITIONS", settings.Partitions.ToString(CultureInfo.InvariantCulture))
                    .WithEnvironment("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "true")
                    .WithVolume("clickstream-kafka-data", "/var/lib/kafka/data");
                var address = ReferenceExpression.Create($"localhost:{port.ToString(CultureInfo.InvariantCulture)}");
                return new ClickstreamKafka(kafka.AsResource(), address, address);
            }

            case KafkaMode.EventHubsEmulator:
            {
                RequireContainerEngine(prerequisites, publishing, settings.KafkaMode);
                var emulator = builder.AddEventHubsEmulator("kafka", settings);
                // The emulator's well-known development key: public, not a secret.
                var connection = ReferenceExpression.Create(
                    $"Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;EntityPath={settings.Topic}");
                return new ClickstreamKafka(emulator.AsResource(), connection, connection);
            }

            case KafkaMode.External:
            {
                // ConnectionStrings:kafka of the AppHost (a parameter when publishing).
                var external = builder.AddConnectionString("kafka").Resource.ConnectionStringExpression;
                return new ClickstreamKafka(null, external, external);
            }

            case KafkaMode.EventHubsLocal:
            {
                // The emulator behind its Event Hubs listener; the services get what eventhubs mode with
                // connection-string auth gives them: a Send rule for the shipper, a Listen rule for the consumer.
                var certificates = Path.Combine(settings.DataDirectory, "kafka-tls");
                var emulator = builder.AddKafkaEmulator("kafka", settings.Ports.Kafka, settings.Topic, settings.Partitions)
                    .WithEventHubsListener(settings.Ports.EventHubs, settings.Ports.EventHubsEmulator, certificates, settings.EventHubsIdleTimeout);
                var send = LocalConnection(builder, SendConnectionParameter, settings, EventHubsDevelopmentRules.SendName, EventHubsDevelopmentRules.SendKey);
                var listen = LocalConnection(builder, ListenConnectionParameter, settings, EventHubsDevelopmentRules.ListenName,
                    EventHubsDevelopmentRules.ListenKey);
                var caPath = Path.Combine(certificates, EventHubsDevelopmentRules.CaFileName);
                var port = settings.Ports.EventHubs.ToString(CultureInfo.InvariantCulture);
                return new ClickstreamKafka(emulator.AsResource(), send.Resource, listen.Resource)
                {
                    CaPath = caPath,
                    Announcement = $"Event Hubs listener: localhost:{port} (SASL_SSL PLAIN, user $ConnectionString; the shipper uses rule "
                        + $"{EventHubsDevelopmentRules.SendName}, the consumer {EventHubsDevelopmentRules.ListenName}); CA certificate for ssl.ca.location: {caPath}",
                };
            }

            case KafkaMode.EventHubs when settings.EventHubsAuth == EventHubsAuth.ConnectionString:
            {
                // Separate rights: the shipper can only send, the dashboard only listen.
                var send = builder.AddParameter(SendConnectionParameter, secret: true);
                var listen = builder.AddParameter(ListenConnectionParameter, secret: true);
                return new ClickstreamKafka(null, send.Resource, listen.Resource);
            }

            case KafkaMode.EventHubs:
            {
                var ns = builder.AddParameter("eventhubs-namespace", secret: false);
                var connection = ReferenceExpression.Create($"Endpoint=sb://{ns.Resource}.servicebus.windows.net/;EntityPath={settings.Topic}");
                return new ClickstreamKafka(null, connection, connection);
            }

            default:
                throw new ClickstreamSetupException($"Kafka:Mode={settings.KafkaMode} is not supported.");
        }
    }

    /// <summary>Hands the stream to a service as <c>ConnectionStrings__kafka</c> and waits for the broker, if there is one here.</summary>
    public static IResourceBuilder<T> WithKafka<T>(this IResourceBuilder<T> service, ClickstreamKafka kafka, KafkaRole role)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport
    {
        var connection = role == KafkaRole.Producer ? kafka.ProducerConnection : kafka.ConsumerConnection;
        service.WithEnvironment(context => context.EnvironmentVariables["ConnectionStrings__kafka"] = connection);
        if (kafka.CaPath is { } caPath)
        {
            // Kafka:Config applies to producers and consumers alike (ServiceDefaults' Kafka integration).
            service.WithEnvironment("Kafka__Config__ssl.ca.location", caPath);
        }
        if (kafka.Broker is { } broker)
        {
            service.WithReferenceRelationship(broker.Resource).WaitFor(broker);
        }

        return service;
    }

    /// <summary>
    /// The development connection string of a rule of the local listener, as a secret parameter, so that
    /// <c>Parameters:{name}</c> replaces it exactly as in <c>eventhubs</c> mode (another rule, another key).
    /// </summary>
    private static IResourceBuilder<ParameterResource> LocalConnection(IDistributedApplicationBuilder builder, string name,
        ClickstreamSettings settings, string rule, string key) =>
        // A parameter given a value ignores configuration, so the override is read here.
        builder.AddParameter(name, builder.Configuration[$"Parameters:{name}"] is { Length: > 0 } configured
            ? configured
            : EventHubsDevelopmentRules.ConnectionString("localhost", settings.Ports.EventHubs, rule, key, settings.Topic), secret: true);

    private static void RequireContainerEngine(IPrerequisites prerequisites, bool publishing, KafkaMode mode)
    {
        if (!publishing && !prerequisites.HasContainerEngine())
        {
            throw new ClickstreamSetupException(
                $"Kafka:Mode={ClickstreamSettings.Kebab(mode.ToString())} needs a running Docker engine, and none answers here: start one, or run with --Kafka:Mode=emulator (the default, no Docker needed).");
        }
    }

    private static IResourceBuilder<IResource> AsResource<T>(this IResourceBuilder<T> builder) where T : IResource =>
        (IResourceBuilder<IResource>)(object)builder;
}
