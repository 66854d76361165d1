using Clickstream.KafkaEmulator.EventHubs;
using Clickstream.KafkaEmulator.Mock;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Clickstream.KafkaEmulator.Hosting;

/// <summary>Owns the mock cluster for the life of the process; started before the web host answers.</summary>
public sealed partial class KafkaEmulatorService(IOptions<KafkaEmulatorOptions> options, IHostEnvironment environment,
    ILoggerFactory loggers, ILogger<KafkaEmulatorService> logger)
    : IHostedService, IHealthCheck, IAsyncDisposable
{
    private KafkaMockCluster? _cluster;
    private EventHubsListener? _listener;

    public KafkaMockCluster Cluster => _cluster ?? throw new InvalidOperationException("The emulator has not started.");

    /// <summary>The Event Hubs-style listener; null unless <c>KafkaEmulator:EventHubs:Enabled</c>.</summary>
    public EventHubsListener? Listener => _listener;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        _cluster = KafkaMockCluster.Start(o.Port);
        _cluster.CreateTopic(o.Topic, o.Partitions);
        LogStarted(_cluster.BootstrapServers, o.Topic, o.Partitions);
        if (o.EventHubs.Enabled)
        {
            o.EventHubs.CertificateDirectory = Path.GetFullPath(Path.Combine(environment.ContentRootPath, o.EventHubs.CertificateDirectory));
            _listener = EventHubsListener.Start(_cluster, o.EventHubs, loggers.CreateLogger<EventHubsListener>());
            LogListener(_listener.Port, _listener.CaPath, string.Join(", ", _listener.Rules));
            if (_listener.DevelopmentEmulatorPort is { } development)
            {
                LogDevelopmentListener(development);
            }
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_cluster is null
            ? HealthCheckResult.Unhealthy("The mock cluster is not running.")
            : HealthCheckResult.Healthy($"Mock cluster at {_cluster.BootstrapServers}."));

    public async ValueTask DisposeAsync()
    {
        if (_listener is { } listener)
        {
            _listener = null;
            await listener.DisposeAsync();
        }

        if (_cluster is { } cluster)
        {
            _cluster = null;
            await cluster.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka emulator listening at {BootstrapServers}, topic {Topic} with {Partitions} partitions")]
    private partial void LogStarted(string bootstrapServers, string topic, int partitions);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Event Hubs listener at localhost:{Port} (SASL_SSL PLAIN, $ConnectionString); CA certificate for ssl.ca.location: {CaPath}; rules: {Rules}")]
    private partial void LogListener(int port, string caPath, string rules);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Event Hubs emulator convention at localhost:{Port} (SASL_PLAINTEXT PLAIN, a UseDevelopmentEmulator=true connection string)")]
    private partial void LogDevelopmentListener(int port);
}
