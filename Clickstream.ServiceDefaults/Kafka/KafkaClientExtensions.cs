using Clickstream.ServiceDefaults.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Our stand-in for Aspire.Confluent.Kafka (not served here): registers a producer or consumer as a
/// singleton with settings binding, a health check and librdkafka statistics as metrics.
/// </summary>
public static class KafkaClientExtensions
{
    private const string SectionName = "Kafka";

    public static void AddKafkaProducer<TKey, TValue>(this IHostApplicationBuilder builder, string connectionName,
        Action<KafkaProducerSettings>? configureSettings = null,
        Action<IServiceProvider, ProducerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        var settings = BindSettings<KafkaProducerSettings>(builder, connectionName, "Producer", configureSettings);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(sp =>
        {
            var config = new ProducerConfig(new Dictionary<string, string>(settings.Config))
            {
                // Nothing counts as delivered until every in-sync replica has it.
                Acks = Acks.All,
            };
            settings.Connection.ApplyTo(config, isProducer: true);
            var producerBuilder = new ProducerBuilder<TKey, TValue>(config);
            ConfigureCommon(sp, settings, config, connectionName,
                h => producerBuilder.SetLogHandler((_, m) => h.Log(m)),
                h => producerBuilder.SetErrorHandler((_, e) => h.Error(e)),
                h => producerBuilder.SetStatisticsHandler((_, json) => h.Publish(json)));
            if (settings.Connection.UsesEntraId)
            {
                var tokens = EntraTokenSource.Create(sp, settings.Connection);
                producerBuilder.SetOAuthBearerTokenRefreshHandler((client, _) => tokens.Refresh(client));
            }

            configureBuilder?.Invoke(sp, producerBuilder);
            return producerBuilder.Build();
        });
        AddHealthCheck(builder, settings, connectionName, "producer", sp => sp.GetRequiredService<IProducer<TKey, TValue>>().Handle);
    }

    public static void AddKafkaConsumer<TKey, TValue>(this IHostApplicationBuilder builder, string connectionName,
        Action<KafkaConsumerSettings>? configureSettings = null,
        Action<IServiceProvider, ConsumerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        var settings = BindSettings<KafkaConsumerSettings>(builder, connectionName, "Consumer", configureSettings);
        if (!settings.Config.ContainsKey("group.id"))
        {
            throw new InvalidOperationException($"Set {SectionName}:Consumer:Config:group.id: a consumer needs a group.");
        }

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(sp =>
        {
            var config = new ConsumerConfig(new Dictionary<string, string>(settings.Config));
            settings.Connection.ApplyTo(config, isProducer: false);
            var consumerBuilder = new ConsumerBuilder<TKey, TValue>(config);
            ConfigureCommon(sp, settings, config, connectionName,
                h => consumerBuilder.SetLogHandler((_, m) => h.Log(m)),
                h => consumerBuilder.SetErrorHandler((_, e) => h.Error(e)),
                h => consumerBuilder.SetStatisticsHandler((_, json) => h.Publish(json)));
            if (settings.Connection.UsesEntraId)
            {
                var tokens = EntraTokenSource.Create(sp, settings.Connection);
                consumerBuilder.SetOAuthBearerTokenRefreshHandler((client, _) => tokens.Refresh(client));
            }

            configureBuilder?.Invoke(sp, consumerBuilder);
            return consumerBuilder.Build();
        });
        AddHealthCheck(builder, settings, connectionName, "consumer", sp => sp.GetRequiredService<IConsumer<TKey, TValue>>().Handle);
    }

    private static TSettings BindSettings<TSettings>(IHostApplicationBuilder builder, string connectionName, string kind,
        Action<TSettings>? configure) where TSettings : KafkaClientSettings, new()
    {
        var settings = new TSettings();
        var section = builder.Configuration.GetSection(SectionName);
        section.Bind(settings);
        section.GetSection(kind).Bind(settings);
        if (builder.Configuration.GetConnectionString(connectionName) is { } connectionString)
        {
            settings.ConnectionString = connectionString;
        }

        configure?.Invoke(settings);
        settings.Validate(connectionName);
        return settings;
    }

    private static void ConfigureCommon(IServiceProvider sp, KafkaClientSettings settings, ClientConfig config, string connectionName,
        Action<Handlers> setLog, Action<Handlers> setError, Action<KafkaStatisticsMetrics> setStatistics)
    {
        var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger($"Clickstream.Kafka.{connectionName}");
        var handlers = new Handlers(logger);
        setLog(handlers);
        setError(handlers);
        if (!settings.DisableMetrics)
        {
            config.StatisticsIntervalMs ??= settings.StatisticsIntervalMs;
            setStatistics(sp.GetRequiredService<KafkaStatisticsMetrics>());
        }

        // The endpoint only: the connection string may carry a key.
        logger.LogInformation("Kafka client for {Connection}, topic {Topic}", settings.Connection, settings.Topic);
    }

    private static void AddHealthCheck(IHostApplicationBuilder builder, KafkaClientSettings settings, string connectionName,
        string kind, Func<IServiceProvider, Handle> handle)
    {
        if (!settings.DisableMetrics && !builder.Services.Any(d => d.ServiceType == typeof(KafkaStatisticsMetrics)))
        {
            builder.Services.AddSingleton<KafkaStatisticsMetrics>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<KafkaStatisticsMetrics>());
        }

        if (settings.DisableHealthChecks)
        {
            return;
        }

        var name = $"kafka-{kind}-{connectionName}";
        builder.Services.AddKeyedSingleton(name, (sp, _) => new KafkaHealthCheck(handle(sp), settings.Topic, settings.HealthCheckTimeout));
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(name,
            sp => sp.GetRequiredKeyedService<KafkaHealthCheck>(name), HealthStatus.Unhealthy, ["ready"]));
    }

    /// <summary>librdkafka's own log and error callbacks, forwarded to <see cref="ILogger"/>.</summary>
    private sealed class Handlers(ILogger logger)
    {
        public void Log(LogMessage message) => logger.Log(message.Level switch
        {
            SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
            SyslogLevel.Error => LogLevel.Error,
            SyslogLevel.Warning => LogLevel.Warning,
            SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
            _ => LogLevel.Debug,
        }, "librdkafka {Facility}: {Message}", message.Facility, message.Message);

        public void Error(Error error) => logger.Log(error.IsFatal ? LogLevel.Critical : LogLevel.Warning,
            "Kafka client error {Code}: {Reason}", error.Code, error.Reason);
    }
}
