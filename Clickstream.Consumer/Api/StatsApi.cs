using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Clickstream.Consumer.Api;
using Clickstream.Consumer.Checkpoints;
using Clickstream.Consumer.Consuming;
using Clickstream.Consumer.Reconciliation;
using Clickstream.Consumer.Stats;
using Clickstream.Consumer.Stats.History;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

public static class StatsApi
{
    /// <summary>Where the API lives; left out of tracing (the page polls it).</summary>
    public const string PathPrefix = "/api";

    public static IEndpointRouteBuilder MapStatsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(PathPrefix);
        api.MapGet("/stats", StatsAsync);
        api.MapGet("/sites", (LiveStats stats) => TypedResults.Ok(stats.Sites.Sites()));
        api.MapGet("/reconciliation", (PipelineReconciler reconciler) => TypedResults.Ok(reconciler.Report()));
        api.MapGet("/events/recent", (RecentEvents recent, IOptions<ConsumerOptions> options, int? n) =>
            TypedResults.Ok(recent.Last(n ?? 50, options.Value.ShowRemoteAddresses)));
        api.MapGet("/stream", Stream);
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
    private static ServerSentEventsResult<string> Stream(HttpContext context, StreamFrames frames, TimeProvider time, IHostApplicationLifetime lifetime, string? site)
    {
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no"; // a proxy in front (nginx) must pass each event on at once
        return TypedResults.ServerSentEvents(Frames(frames, time, site, lifetime.ApplicationStopping));
    }

    /// <summary>
    /// Kestrel lets running requests finish before it stops, for up to the host's shutdown timeout (30 s): an open
    /// dashboard would hold every SIGTERM that long. Ending the stream on stopping lets it go at once; EventSource
    /// reconnects (to the next instance) by itself, after the first event's <c>retry</c> (a second).
    /// </summary>
    private static async IAsyncEnumerable<SseItem<string>> Frames(StreamFrames frames, TimeProvider time, string? site, CancellationToken stopping,
        [EnumeratorCancellation] CancellationToken requestAborted = default)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, stopping);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        TimeSpan? retry = TimeSpan.FromSeconds(1);
        do
        {
            var frame = frames.Current(site);
            yield return new SseItem<string>(frame.Stats, "stats") { ReconnectionInterval = retry };
            yield return new SseItem<string>(frame.Sites, "sites");
            yield return new SseItem<string>(frame.Reconciliation, "reconciliation");
            retry = null;
        }
        while (await NextTickAsync(timer, either.Token));
    }

    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false; // the page was closed, or the app is stopping
        }
    }
}
