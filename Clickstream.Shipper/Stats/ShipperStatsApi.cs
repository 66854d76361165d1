using Clickstream.Shipper;
using Clickstream.Shipper.Delivery;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Counts since start, for the dashboard's reconciliation strip.</summary>
public sealed record ShipperStats(long LinesRead, long LinesSent, long LinesAcked, long DeadLettered, int InFlight, double AckLatencyP99Ms);

public static class ShipperStatsApi
{
    /// <summary><c>GET /stats</c> → <c>{"linesRead":N,"linesSent":N,"linesAcked":N,"deadLettered":N,"inFlight":N,"ackLatencyP99Ms":x}</c>.</summary>
    public static IEndpointRouteBuilder MapShipperApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/stats", (ShipperMetrics metrics, KafkaSender sender) => Snapshot(metrics, sender));
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
