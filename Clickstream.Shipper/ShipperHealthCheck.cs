using Clickstream.Shipper.Delivery;
using Clickstream.Shipper.Tailing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Clickstream.Shipper;

/// <summary>
/// Unhealthy when lines are waiting and the broker acknowledged nothing for <see cref="ShipperOptions.StalledAfter"/>,
/// or when a line ran out of delivery attempts within that time.
/// </summary>
internal sealed class ShipperHealthCheck(TailCoordinator tails, KafkaSender sender, IOptions<ShipperOptions> options, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var stalledAfter = options.Value.StalledAfter;
        var backlog = tails.Backlog;
        var sinceAck = time.GetElapsedTime(sender.LastAcknowledged);
        if (sender.LastDeliveryFailure != 0 && time.GetElapsedTime(sender.LastDeliveryFailure) < stalledAfter)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("A line ran out of delivery attempts and was dead-lettered."));
        }

        return Task.FromResult(backlog > 0 && sinceAck > stalledAfter
            ? HealthCheckResult.Unhealthy($"{backlog} bytes wait and nothing was acknowledged for {sinceAck.TotalSeconds:F0} s.")
            : HealthCheckResult.Healthy($"{backlog} bytes behind."));
    }
}
