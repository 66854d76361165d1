using Clickstream.Contracts;

namespace Clickstream.ServiceDefaults.Kafka;

/// <summary>
/// Settings of a Kafka client registered by <c>AddKafkaProducer</c> or <c>AddKafkaConsumer</c>, bound from
/// the <c>Kafka</c> section, then <c>Kafka:Producer</c> or <c>Kafka:Consumer</c>, then
/// <c>ConnectionStrings:{name}</c>, then the caller's delegate.
/// </summary>
public abstract class KafkaClientSettings
{
    /// <summary>A bootstrap list or an Event Hubs connection string.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The topic (Event Hub) the pipeline uses; an Event Hubs <c>EntityPath</c> wins over it.</summary>
    public string Topic { get; set; } = PipelineDefaults.Topic;

    /// <summary>Extra librdkafka properties, e.g. <c>Kafka:Producer:Config:linger.ms=5</c>.</summary>
    public Dictionary<string, string> Config { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Adds each property of <paramref name="defaults"/> (a typed <c>ProducerConfig</c> or <c>ConsumerConfig</c>)
    /// that configuration did not set, so every default stays overridable under <c>Config</c>.
    /// </summary>
    public void SetDefaults(IEnumerable<KeyValuePair<string, string>> defaults)
    {
        foreach (var (key, value) in defaults)
        {
            Config.TryAdd(key, value);
        }
    }

    public bool DisableHealthChecks { get; set; }

    public bool DisableMetrics { get; set; }

    /// <summary>How often librdkafka reports statistics, when metrics are on.</summary>
    public int StatisticsIntervalMs { get; set; } = 5_000;

    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The parsed connection; set by <see cref="Validate"/>.</summary>
    public KafkaConnection Connection { get; private set; } = null!;

    internal void Validate(string connectionName)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new InvalidOperationException(
                $"No Kafka connection string: set ConnectionStrings:{connectionName} (a bootstrap list such as localhost:9092, or an Event Hubs connection string).");
        }

        Connection = KafkaConnection.Parse(ConnectionString);
        if (!string.IsNullOrEmpty(Connection.EntityPath))
        {
            Topic = Connection.EntityPath;
        }

        if (string.IsNullOrWhiteSpace(Topic))
        {
            throw new InvalidOperationException("Kafka:Topic must name a topic.");
        }
    }
}

public sealed class KafkaProducerSettings : KafkaClientSettings;

public sealed class KafkaConsumerSettings : KafkaClientSettings;
