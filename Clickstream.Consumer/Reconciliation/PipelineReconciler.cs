using System.Net.Http.Json;
using Clickstream.Consumer.Stats;
using Clickstream.Contracts;
using Microsoft.Extensions.Options;

namespace Clickstream.Consumer.Reconciliation;

/// <summary>Where the pixel's and shipper's <c>/stats</c> live (section <c>Reconciliation</c>).</summary>
public sealed class ReconciliationOptions
{
    public const string SectionName = "Reconciliation";

    /// <summary>Base URL; the default resolves through Aspire service discovery; empty: not asked.</summary>
    public string PixelUrl { get; set; } = "http://pixel";

    public string ShipperUrl { get; set; } = "http://shipper";

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Each fetch gives up after this; an answer older than three polls counts as none ("n/a").</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Polls the pixel's and the shipper's counters in the background and reports them next to ours.
/// An unreachable service is "n/a", never an error.
/// </summary>
public sealed partial class PipelineReconciler(
    IHttpClientFactory httpClients,
    IOptions<ReconciliationOptions> options,
    LiveStats stats,
    Checkpoints.StateCheckpointer checkpoints,
    TimeProvider time,
    ILogger<PipelineReconciler> logger) : BackgroundService
{
    public const string HttpClientName = "reconciliation";

    // Whole records swapped by reference, so a reader never sees half an update.
    private volatile Fetched<PixelStats>? _pixel;
    private volatile Fetched<ShipperStats>? _shipper;

    public PipelineReport Report()
    {
        var now = time.GetUtcNow();
        var snapshot = stats.Snapshot();
        var maxAge = options.Value.PollInterval * 3 + options.Value.Timeout;
        var pixel = _pixel is { } p && now - p.At < maxAge ? p.Counts : null;
        var shipper = _shipper is { } s && now - s.At < maxAge ? s.Counts : null;
        // The other stages count what the current topic carries; what was counted before it began (history a
        // checkpoint kept across a topic that started over) is left out.
        var (restoredEvents, restoredDuplicates) = checkpoints.TopicBase;
        return PipelineReport.Evaluate(pixel, shipper, snapshot.TotalEvents - restoredEvents, snapshot.DuplicatesDropped - restoredDuplicates, now);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollInterval, time);
        do
        {
            var pixel = FetchAsync<PixelStats>(options.Value.PixelUrl, stoppingToken);
            var shipper = FetchAsync<ShipperStats>(options.Value.ShipperUrl, stoppingToken);
            if (await pixel is { } pc)
            {
                _pixel = new(pc, time.GetUtcNow());
            }

            if (await shipper is { } sc)
            {
                _shipper = new(sc, time.GetUtcNow());
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<T?> FetchAsync<T>(string baseUrl, CancellationToken stoppingToken) where T : class
    {
        // Empty: that stage has no /stats (nginx answers the pixel), shown as "n/a" without asking.
        if (string.IsNullOrEmpty(baseUrl))
        {
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(options.Value.Timeout);
        try
        {
            var client = httpClients.CreateClient(HttpClientName);
            // Relative to the base, so a base with a path (a reverse proxy's prefix) keeps it.
            return await client.GetFromJsonAsync<T>(new Uri(new Uri(baseUrl.TrimEnd('/') + "/"), StageStats.Path.TrimStart('/')), timeout.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException
            or InvalidOperationException or UriFormatException)
        {
            LogUnreachable(baseUrl, ex.Message);
            return null;
        }
    }

    private sealed record Fetched<T>(T Counts, DateTimeOffset At);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reconciliation: {Url} /stats unavailable: {Reason}")]
    private partial void LogUnreachable(string url, string reason);
}
