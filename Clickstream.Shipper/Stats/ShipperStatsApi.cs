using Clickstream.Contracts;
using Clickstream.Shipper;
using Clickstream.Shipper.Delivery;

namespace Microsoft.AspNetCore.Builder;

public static class ShipperStatsApi
{
    /// <summary><c>GET /stats</c> → <see cref="ShipperStats"/>, for the dashboard's reconciliation strip.</summary>
    public static IEndpointRouteBuilder MapShipperApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(StageStats.Path, (ShipperMetrics metrics, KafkaSender sender) => Snapshot(metrics, sender));
        return app;
    }

    public static ShipperStats Snapshot(ShipperMetrics metrics, KafkaSender sender) => new(
        metrics.ReadTotal,
        metrics.SentTotal,
        metrics.AcknowledgedTotal,
        metrics.DeadLetteredTotal,
        sender.InFlight,
        Math.Round(metrics.AcknowledgementLatencyMs(0.99), 3));
}
