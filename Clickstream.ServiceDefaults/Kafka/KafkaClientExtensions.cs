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
        var handlers = new Handlers(logger, settings.Connection, sp.GetService<TimeProvider>() ?? TimeProvider.System);
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
    private sealed class Handlers(ILogger logger, KafkaConnection connection, TimeProvider time)
    {
        /// <summary>A refused key is retried at every reconnect, many times a second across a client's connections: say it once a minute.</summary>
        private static readonly TimeSpan AuthenticationReportInterval = TimeSpan.FromMinutes(1);

        private readonly Lock _authentication = new();
        private long _lastAuthenticationReport;
        private int _authenticationRepeats;

        public void Log(LogMessage message) => logger.Log(message.Level switch
        {
            // The error callback reports a refused key in one line naming the rule (below); librdkafka's own line is detail.
            _ when message.Facility == "FAIL" && message.Message.Contains("SASL authentication error", StringComparison.Ordinal) => LogLevel.Debug,
            SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
            SyslogLevel.Error => LogLevel.Error,
            SyslogLevel.Warning => LogLevel.Warning,
            SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
            _ => LogLevel.Debug,
        }, "librdkafka {Facility}: {Message}", message.Facility, message.Message);

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
