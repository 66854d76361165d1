using Clickstream.ServiceDefaults.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Clickstream.ServiceDefaults.Tests;

public sealed class KafkaClientRegistrationTests
{
    private static HostApplicationBuilder Builder()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        // Nothing listens there: building a client does not connect.
        builder.Configuration["ConnectionStrings:kafka"] = "127.0.0.1:1";
        return builder;
    }

    [Fact]
    public void A_callers_own_log_and_error_handlers_are_kept_instead_of_throwing()
    {
        var builder = Builder();
        var callerSet = 0;
        builder.AddKafkaProducer<string, string>("kafka", configureBuilder: (_, producer) =>
        {
            producer.SetLogHandler((_, _) => { });
            producer.SetErrorHandler((_, _) => { });
            callerSet++;
        });
        builder.Configuration["Kafka:Consumer:Config:group.id"] = "g";
        builder.AddKafkaConsumer<string, string>("kafka", configureBuilder: (_, consumer) =>
        {
            consumer.SetLogHandler((_, _) => { });
            callerSet++;
        });
        using var host = builder.Build();

        using var producer = host.Services.GetRequiredService<IProducer<string, string>>();
        using var consumer = host.Services.GetRequiredService<IConsumer<string, string>>();
        Assert.Equal(2, callerSet);
    }

    [Fact]
    public void Typed_defaults_fill_only_what_configuration_left_unset()
    {
        var settings = new KafkaProducerSettings();
        settings.Config["linger.ms"] = "20";
        settings.SetDefaults(new ProducerConfig { LingerMs = 5, EnableIdempotence = true, CompressionType = CompressionType.Lz4 });

        var config = new ProducerConfig(settings.Config);
        Assert.Equal(20, config.LingerMs);
        Assert.True(config.EnableIdempotence);
        Assert.Equal(CompressionType.Lz4, config.CompressionType);
    }

    [Fact]
    public void A_consumer_without_a_group_is_refused_at_registration()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Builder().AddKafkaConsumer<string, string>("kafka"));
        Assert.Contains("group.id", error.Message);
    }
}
