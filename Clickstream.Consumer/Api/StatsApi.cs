using Clickstream.Consumer.Stats;

namespace Microsoft.AspNetCore.Builder;

public static class StatsApi
{
    public static IEndpointRouteBuilder MapStatsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/stats", (LiveStats stats) => TypedResults.Ok(stats.Snapshot()));
        return app;
    }
}
