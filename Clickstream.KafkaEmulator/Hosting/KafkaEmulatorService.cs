using Clickstream.KafkaEmulator.Mock;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Clickstream.KafkaEmulator.Hosting;

/// <summary>Owns the mock cluster for the life of the process; started before the web host answers.</summary>
public sealed partial class KafkaEmulatorService(IOptions<KafkaEmulatorOptions> options, ILogger<KafkaEmulatorService> logger)
    : IHostedService, IHealthCheck, IAsyncDisposable
{
    private KafkaMockCluster? _cluster;

    public KafkaMockCluster Cluster => _cluster ?? throw new InvalidOperationException("The emulator has not started.");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        _cluster = KafkaMockCluster.Start(o.Port);
        _cluster.CreateTopic(o.Topic, o.Partitions);
        LogStarted(_cluster.BootstrapServers, o.Topic, o.Partitions);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_cluster is null
            ? HealthCheckResult.Unhealthy("The mock cluster is not running.")
            : HealthCheckResult.Healthy($"Mock cluster at {_cluster.BootstrapServers}."));

    public async ValueTask DisposeAsync()
    {
        if (_cluster is { } cluster)
        {
            _cluster = null;
            await cluster.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka emulator listening at {BootstrapServers}, topic {Topic} with {Partitions} partitions")]
    private partial void LogStarted(string bootstrapServers, string topic, int partitions);
}
