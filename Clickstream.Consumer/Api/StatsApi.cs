using Clickstream.Consumer.Api;
using Clickstream.Consumer.Checkpoints;
using Clickstream.Consumer.Consuming;
using Clickstream.Consumer.Reconciliation;
using Clickstream.Consumer.Stats;
using Clickstream.Consumer.Stats.History;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

public static class StatsApi
{
    public static IEndpointRouteBuilder MapStatsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/stats", StatsAsync);
        api.MapGet("/sites", (LiveStats stats) => TypedResults.Ok(stats.Sites.Sites()));
        api.MapGet("/reconciliation", (PipelineReconciler reconciler) => TypedResults.Ok(reconciler.Report()));
        api.MapGet("/events/recent", (RecentEvents recent, IOptions<ConsumerOptions> options, int? n) =>
            TypedResults.Ok(recent.Last(n ?? 50, options.Value.ShowRemoteAddresses)));
        api.MapGet("/stream", StreamAsync);
        api.MapGet("/checkpoint", (StateCheckpointer checkpoints) => TypedResults.Ok(checkpoints.Status()));
        return app;
    }

    /// <summary>
    /// The snapshot plus one site's figures (<c>?site=</c>; without it, all sites'); 404 for a site never seen.
    /// With <c>range</c> (or <c>from</c>/<c>to</c>) also <c>range</c>: the figures over that range in the site's time zone.
    /// </summary>
    private static IResult StatsAsync(LiveStats stats, IOptions<JsonOptions> json, IOptions<RangeOptions> ranges, TimeProvider time,
        string? site, string? range, string? from, string? to)
    {
        if (StatsDocument.Build(stats, site, json.Value.SerializerOptions) is not { } document)
        {
            return TypedResults.NotFound(new { error = $"No hit of site '{site}' has been counted." });
        }

        if (range is not null || from is not null || to is not null)
        {
            if (DateRange.Resolve(range, from, to, ranges.Value.ZoneOf(site), time.GetUtcNow(), out var error) is not { } resolved)
            {
                return TypedResults.BadRequest(new { error });
            }

            document["range"] = System.Text.Json.JsonSerializer.SerializeToNode(stats.Sites.Range(site, resolved), json.Value.SerializerOptions);
        }

        return TypedResults.Content(document.ToJsonString(json.Value.SerializerOptions), "application/json");
    }

    /// <summary>
    /// Server-sent events once a second until the client goes away or the app stops: <c>stats</c> (the
    /// <c>/api/stats?site=</c> document), <c>sites</c> (the <c>/api/sites</c> list) and <c>reconciliation</c>.
    /// </summary>
    private static async Task StreamAsync(HttpContext context, StreamFrames frames, TimeProvider time, IHostApplicationLifetime lifetime, string? site)
    {
        var response = context.Response;
        response.Headers.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        // Kestrel lets running requests finish before it stops, for up to the host's shutdown timeout
        // (30 s): an open dashboard would hold every SIGTERM that long. Ending the stream on stopping
        // lets it go at once; EventSource reconnects (to the next instance) by itself.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var cancellationToken = stopping.Token;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            // "retry" tells EventSource to reconnect after a second if the stream breaks.
            await response.WriteAsync("retry: 1000\n\n", cancellationToken);
            do
            {
                await response.WriteAsync(frames.Current(site), cancellationToken);
                await response.Body.FlushAsync(cancellationToken);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The page was closed, or the app is stopping.
        }
    }
}
