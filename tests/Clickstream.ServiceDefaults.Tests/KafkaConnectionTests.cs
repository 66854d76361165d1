using Clickstream.Contracts;
using Clickstream.ServiceDefaults.Kafka;
using Confluent.Kafka;

namespace Clickstream.ServiceDefaults.Tests;

public sealed class KafkaConnectionTests
{
    private const string Key = "c2VjcmV0LWtleS1ub3QtZm9yLWxvZ3M=";
    private const string EventHubs =
        $"Endpoint=sb://clicks-ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey={Key};EntityPath=clickstream-hub";

    [Fact]
    public void A_bootstrap_list_is_taken_as_it_is_with_no_security()
    {
        var connection = KafkaConnection.Parse("broker1:9092,broker2:9092");
        var config = new ProducerConfig();
        connection.ApplyTo(config);

        Assert.False(connection.IsEventHubs);
        Assert.Equal("broker1:9092,broker2:9092", config.BootstrapServers);
        Assert.Null(config.SecurityProtocol);
        Assert.Null(config.SaslPassword);
    }

    [Fact]
    public void An_event_hubs_connection_string_becomes_sasl_plain_on_port_9093_with_the_documented_settings()
    {
        var connection = KafkaConnection.Parse(EventHubs);
        var config = new ProducerConfig();
        connection.ApplyTo(config);

        Assert.True(connection.IsEventHubs);
        Assert.Equal("clickstream-hub", connection.EntityPath);
        Assert.Equal("clicks-ns.servicebus.windows.net:9093", config.BootstrapServers);
        Assert.Equal(SecurityProtocol.SaslSsl, config.SecurityProtocol);
        Assert.Equal(SaslMechanism.Plain, config.SaslMechanism);
        Assert.Equal("$ConnectionString", config.SaslUsername);
        Assert.Equal(EventHubs, config.SaslPassword);
        Assert.True(config.SocketKeepaliveEnable);
        Assert.Equal(180_000, config.MetadataMaxAgeMs);
        Assert.True(config.MessageMaxBytes < 1_046_528);
        Assert.True(config.RequestTimeoutMs >= 30_000);

        var consumer = new ConsumerConfig();
        connection.ApplyTo(consumer);
        Assert.Equal(30_000, consumer.SessionTimeoutMs);
        Assert.Null(consumer.Get("request.timeout.ms"));
    }

    [Fact]
    public void An_explicit_setting_wins_over_the_event_hubs_default()
    {
        var config = new ProducerConfig { MetadataMaxAgeMs = 60_000 };
        KafkaConnection.Parse(EventHubs).ApplyTo(config);
        Assert.Equal(60_000, config.MetadataMaxAgeMs);
    }

    [Fact]
    public void The_development_emulator_connection_string_uses_plaintext_sasl_on_9092()
    {
        var config = new ConsumerConfig();
        KafkaConnection.Parse("Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;EntityPath=eh1")
            .ApplyTo(config);
        Assert.Equal("localhost:9092", config.BootstrapServers);
        Assert.Equal(SecurityProtocol.SaslPlaintext, config.SecurityProtocol);
    }

    [Fact]
    public void The_key_never_shows_in_what_is_logged_or_thrown()
    {
        var connection = KafkaConnection.Parse(EventHubs);
        Assert.DoesNotContain(Key, connection.ToString());
        Assert.DoesNotContain(Key, $"{connection}");

        var broken = Assert.Throws<FormatException>(() => KafkaConnection.Parse($"SharedAccessKey={Key};EntityPath=x"));
        Assert.DoesNotContain(Key, broken.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Missing_connection_string_fails_with_a_sentence_naming_the_setting(string? connectionString)
    {
        var settings = new KafkaProducerSettings { ConnectionString = connectionString };
        var error = Assert.Throws<InvalidOperationException>(() => settings.Validate("kafka"));
        Assert.Contains("ConnectionStrings:kafka", error.Message);
    }

    [Fact]
    public void The_entity_path_names_the_topic()
    {
        var settings = new KafkaConsumerSettings { ConnectionString = EventHubs, Topic = PipelineDefaults.Topic };
        settings.Validate("kafka");
        Assert.Equal("clickstream-hub", settings.Topic);
    }
}
