using Confluent.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Clickstream.ServiceDefaults.Kafka;

/// <summary>
/// Healthy when the broker answers a metadata request for our own topic. Aspire's Kafka integration
/// produces to a <c>healthchecks-topic</c> instead, which does not exist on Event Hubs.
/// </summary>
internal sealed class KafkaHealthCheck(Handle handle, string topic, TimeSpan timeout) : IHealthCheck, IDisposable
{
    // Shares the client's connections instead of opening new ones per probe.
    private readonly IAdminClient _admin = new DependentAdminClientBuilder(handle).Build();

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var metadata = await Task.Run(() => _admin.GetMetadata(topic, timeout), cancellationToken);
            var found = metadata.Topics.FirstOrDefault(t => t.Topic == topic);
            if (found is null || found.Error.IsError)
            {
                return HealthCheckResult.Unhealthy($"Topic '{topic}' is not available: {found?.Error.Reason ?? "missing from metadata"}.");
            }

            return found.Partitions.Count > 0
                ? HealthCheckResult.Healthy($"Topic '{topic}' has {found.Partitions.Count} partitions.")
                : HealthCheckResult.Unhealthy($"Topic '{topic}' has no partitions.");
        }
        catch (Exception ex) when (ex is KafkaException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"No metadata for topic '{topic}': {ex.Message}");
        }
    }

    public void Dispose() => _admin.Dispose();
}
