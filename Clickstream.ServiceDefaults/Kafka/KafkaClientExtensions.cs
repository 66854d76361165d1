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
            settings.Connection.ApplyTo(config);
            var producerBuilder = new ProducerBuilder<TKey, TValue>(config);
            // The caller first, as Aspire.Confluent.Kafka does: a handler it sets wins over ours instead of throwing.
            configureBuilder?.Invoke(sp, producerBuilder);
            var handlers = Handlers.Create(sp, settings, config, connectionName);
            handlers.Set("log", () => producerBuilder.SetLogHandler((_, m) => handlers.Log(m)));
            handlers.Set("error", () => producerBuilder.SetErrorHandler((_, e) => handlers.Error(e)));
            if (handlers.Statistics is { } statistics)
            {
                handlers.Set("statistics", () => producerBuilder.SetStatisticsHandler((_, json) => statistics.Publish(json)));
            }

            if (settings.Connection.UsesEntraId)
            {
                var tokens = EntraTokenSource.Create(sp, settings.Connection);
                handlers.Set("OAuth token refresh", () => producerBuilder.SetOAuthBearerTokenRefreshHandler((client, _) => tokens.Refresh(client)));
            }

            return producerBuilder.Build();
        });
        AddHealthCheck(builder, settings, connectionName, "producer", sp => sp.GetRequiredService<IProducer<TKey, TValue>>().Handle);
    }

    public static void AddKafkaConsumer<TKey, TValue>(this IHostApplicationBuilder builder, string connectionName,
        Action<KafkaConsumerSettings>? configureSettings = null,
        Action<IServiceProvider, ConsumerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        var settings = BindSettings<KafkaConsumerSettings>(builder, connectionName, "Consumer", configureSettings);
        if (string.IsNullOrEmpty(new ConsumerConfig(new Dictionary<string, string>(settings.Config)).GroupId))
        {
            throw new InvalidOperationException($"Set {SectionName}:Consumer:Config:group.id: a consumer needs a group.");
        }

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(sp =>
        {
            var config = new ConsumerConfig(new Dictionary<string, string>(settings.Config));
            settings.Connection.ApplyTo(config);
            var consumerBuilder = new ConsumerBuilder<TKey, TValue>(config);
            // The caller first, as Aspire.Confluent.Kafka does: a handler it sets wins over ours instead of throwing.
            configureBuilder?.Invoke(sp, consumerBuilder);
            var handlers = Handlers.Create(sp, settings, config, connectionName);
            handlers.Set("log", () => consumerBuilder.SetLogHandler((_, m) => handlers.Log(m)));
            handlers.Set("error", () => consumerBuilder.SetErrorHandler((_, e) => handlers.Error(e)));
            if (handlers.Statistics is { } statistics)
            {
                handlers.Set("statistics", () => consumerBuilder.SetStatisticsHandler((_, json) => statistics.Publish(json)));
            }

            if (settings.Connection.UsesEntraId)
            {
                var tokens = EntraTokenSource.Create(sp, settings.Connection);
                handlers.Set("OAuth token refresh", () => consumerBuilder.SetOAuthBearerTokenRefreshHandler((client, _) => tokens.Refresh(client)));
            }

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

    private static void AddHealthCheck(IHostApplicationBuilder builder, KafkaClientSettings settings, string connectionName,
        string kind, Func<IServiceProvider, Handle> handle)
    {
        if (!settings.DisableMetrics && !builder.Services.Any(d => d.ServiceType == typeof(KafkaStatisticsMetrics)))
        {
            builder.AddTelemetry(meters: [KafkaStatisticsMetrics.MeterName], activitySources: []);
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

    /// <summary>librdkafka's own log, error and statistics callbacks, forwarded to <see cref="ILogger"/> and the meters.</summary>
    private sealed class Handlers(ILogger logger, KafkaStatisticsMetrics? statistics, KafkaConnection connection, TimeProvider time)
    {
        /// <summary>A refused key is retried at every reconnect, many times a second across a client's connections: say it once a minute.</summary>
        private static readonly TimeSpan AuthenticationReportInterval = TimeSpan.FromMinutes(1);

        private readonly Lock _authentication = new();
        private long _lastAuthenticationReport;
        private int _authenticationRepeats;

        public KafkaStatisticsMetrics? Statistics => statistics;

        public static Handlers Create(IServiceProvider sp, KafkaClientSettings settings, ClientConfig config, string connectionName)
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger($"Clickstream.Kafka.{connectionName}");
            // The endpoint only: the connection string may carry a key.
            logger.LogInformation("Kafka client for {Connection}, topic {Topic}", settings.Connection, settings.Topic);
            var time = sp.GetService<TimeProvider>() ?? TimeProvider.System;
            if (settings.DisableMetrics)
            {
                return new Handlers(logger, null, settings.Connection, time);
            }

            config.StatisticsIntervalMs ??= settings.StatisticsIntervalMs;
            return new Handlers(logger, sp.GetRequiredService<KafkaStatisticsMetrics>(), settings.Connection, time);
        }

        /// <summary>Sets one of our handlers unless the caller's builder delegate already set its own.</summary>
        public void Set(string kind, Action set)
        {
            try
            {
                set();
            }
            catch (InvalidOperationException)
            {
                logger.LogWarning("The Kafka client's {Handler} handler was set by the caller; ours is skipped", kind);
            }
        }

        // Confluent's own syslog → Microsoft.Extensions.Logging mapping, as Aspire.Confluent.Kafka uses; a refused key is
        // reported by the error callback in one line naming the rule (below), so librdkafka's own line for it is detail.
        public void Log(LogMessage message) => logger.Log(
            message.Facility == "FAIL" && message.Message.Contains("SASL authentication error", StringComparison.Ordinal)
                ? LogLevel.Debug
                : (LogLevel)message.LevelAs(LogLevelType.MicrosoftExtensionsLogging),
            "librdkafka {Facility}: {Message}", message.Facility, message.Message);

        public void Error(Error error)
        {
            if (error.Code != ErrorCode.Local_Authentication)
            {
                logger.Log(error.IsFatal ? LogLevel.Critical : LogLevel.Warning, "Kafka client error {Code}: {Reason}", error.Code, error.Reason);
                return;
            }

            // The broker refused the credentials: which endpoint and rule (never the key), in one line. The client keeps
            // retrying, so nothing read is dropped; a corrected key takes effect at the next start.
            int repeats;
            lock (_authentication)
            {
                var now = time.GetTimestamp();
                if (_lastAuthenticationReport != 0 && time.GetElapsedTime(_lastAuthenticationReport, now) < AuthenticationReportInterval)
                {
                    _authenticationRepeats++;
                    return;
                }

                _lastAuthenticationReport = now;
                repeats = _authenticationRepeats;
                _authenticationRepeats = 0;
            }

            logger.LogError("Kafka authentication failed for {Connection}: {Reason}; retrying ({Repeats} refusals since the last report)",
                connection, error.Reason.ReplaceLineEndings(" "), repeats);
        }
    }
}
