using System.Data.Common;
using Confluent.Kafka;

namespace Clickstream.ServiceDefaults.Kafka;

/// <summary>
/// What a connection string says about how to reach the broker: either a plain bootstrap list
/// (<c>localhost:9092</c>) or an Azure Event Hubs connection string
/// (<c>Endpoint=sb://NS.servicebus.windows.net/;SharedAccessKeyName=…;SharedAccessKey=…;EntityPath=hub</c>).
/// </summary>
public sealed record KafkaConnection
{
    /// <summary>The Kafka endpoint of an Event Hubs namespace listens on 9093 (TLS only).</summary>
    public const int EventHubsKafkaPort = 9093;

    /// <summary>Event Hubs refuses a produce request of 1,046,528 bytes or more; stay under it.</summary>
    public const int EventHubsMaxMessageBytes = 1_000_000;

    public required string BootstrapServers { get; init; }

    /// <summary>The Event Hub named by <c>EntityPath</c>, which is the Kafka topic; null for a bootstrap list.</summary>
    public string? EntityPath { get; init; }

    public bool IsEventHubs { get; init; }

    /// <summary>
    /// An Event Hubs connection string without a key (<c>Endpoint=sb://NS.servicebus.windows.net/;EntityPath=hub</c>):
    /// authenticate with a Microsoft Entra token (managed identity when deployed) over OAUTHBEARER, so no key exists to leak.
    /// </summary>
    public bool UsesEntraId => IsEventHubs && SaslPassword is null;

    /// <summary>The token scope for <see cref="UsesEntraId"/>: <c>https://NS.servicebus.windows.net/.default</c>.</summary>
    public string? TokenScope { get; init; }

    /// <summary>The shared access rule (<c>SharedAccessKeyName</c>) a SAS connection string names: safe to log, unlike its key.</summary>
    public string? RuleName { get; init; }

    /// <summary>The whole connection string: the SASL PLAIN password for Event Hubs. Never log it.</summary>
    private string? SaslPassword { get; init; }

    public static KafkaConnection Parse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var trimmed = connectionString.Trim();
        if (!trimmed.Contains('='))
        {
            return new KafkaConnection { BootstrapServers = trimmed };
        }

        var builder = new DbConnectionStringBuilder { ConnectionString = trimmed };
        if (!builder.TryGetValue("Endpoint", out var endpointValue) || endpointValue is not string endpoint
            || !Uri.TryCreate(endpoint, UriKind.Absolute, out var endpointUri))
        {
            // Deliberately vague: the text may hold a key, so it is not echoed.
            throw new FormatException("The Kafka connection string is neither a bootstrap list nor an Event Hubs connection string with an Endpoint.");
        }

        var isEmulator = builder.TryGetValue("UseDevelopmentEmulator", out var emulator)
            && string.Equals(emulator as string, "true", StringComparison.OrdinalIgnoreCase);
        var port = endpointUri.IsDefaultPort || endpointUri.Port <= 0
            ? (isEmulator ? 9092 : EventHubsKafkaPort)
            : endpointUri.Port;

        var hasKey = builder.ContainsKey("SharedAccessKey") || builder.ContainsKey("SharedAccessSignature");
        return new KafkaConnection
        {
            BootstrapServers = $"{endpointUri.Host}:{port}",
            EntityPath = builder.TryGetValue("EntityPath", out var entity) ? entity as string : null,
            IsEventHubs = true,
            SaslPassword = hasKey ? trimmed : null,
            RuleName = builder.TryGetValue("SharedAccessKeyName", out var rule) ? rule as string : null,
            TokenScope = hasKey ? null : $"https://{endpointUri.Host}/.default",
            IsDevelopmentEmulator = isEmulator,
        };
    }

    /// <summary>Microsoft's Event Hubs emulator speaks SASL PLAIN without TLS.</summary>
    public bool IsDevelopmentEmulator { get; init; }

    /// <summary>Applies the connection to a librdkafka configuration, including the Event Hubs endpoint's documented settings.</summary>
    public void ApplyTo(ClientConfig config)
    {
        config.BootstrapServers = BootstrapServers;
        if (!IsEventHubs)
        {
            return;
        }

        config.SecurityProtocol = IsDevelopmentEmulator ? SecurityProtocol.SaslPlaintext : SecurityProtocol.SaslSsl;
        if (UsesEntraId)
        {
            // The token comes from the client's OAuth refresh handler (see KafkaClientExtensions).
            config.SaslMechanism = SaslMechanism.OAuthBearer;
        }
        else
        {
            config.SaslMechanism = SaslMechanism.Plain;
            config.SaslUsername = "$ConnectionString";
            config.SaslPassword = SaslPassword;
        }

        // The Event Hubs load balancer cuts idle connections after 240 s.
        config.SocketKeepaliveEnable ??= true;
        config.MetadataMaxAgeMs ??= 180_000;
        config.ConnectionsMaxIdleMs ??= 180_000;
        config.MessageMaxBytes ??= EventHubsMaxMessageBytes;
        switch (config)
        {
            case ProducerConfig producer:
                producer.RequestTimeoutMs ??= 60_000;
                break;
            case ConsumerConfig consumer:
                consumer.SessionTimeoutMs ??= 30_000;
                break;
        }
    }

    /// <summary>Safe to log: the endpoint only.</summary>
    public override string ToString() => IsEventHubs
        ? $"Event Hubs {BootstrapServers} ({(UsesEntraId ? "Entra ID token" : $"SAS connection string, rule {RuleName ?? "(none)"}")})"
        : BootstrapServers;
}
