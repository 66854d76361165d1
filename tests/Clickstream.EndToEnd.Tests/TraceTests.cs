using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Clickstream.Tests;

namespace Clickstream.EndToEnd.Tests;

/// <summary>
/// The Aspire dashboard's Traces view shows the hits, not the housekeeping: the services export to our own
/// OTLP endpoint, as they would to the dashboard's, and after an idle spell and ten hits it holds exactly
/// the ten hits' traces (pixel → shipper → consumer), no probe and no reconciliation polling.
/// </summary>
public sealed class TraceTests
{
    private static readonly string[] Services = ["pixel", "shipper", "consumer"];

    private sealed class TracedPipeline(Uri otlp) : PipelineFixture
    {
        protected override void Configure(IDistributedApplicationTestingBuilder builder)
        {
            // The dashboard's OTLP/HTTP endpoint is ours; without a gRPC one the AppHost hands the services this one.
            builder.Configuration["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = null;
            builder.Configuration["DOTNET_DASHBOARD_OTLP_ENDPOINT_URL"] = null;
            builder.Configuration["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = otlp.ToString();
        }
    }

    [Fact]
    public async Task After_an_idle_spell_and_ten_hits_the_only_traces_are_the_ten_hits()
    {
        await using var otlp = await OtlpReceiver.StartAsync();
        var pipeline = new TracedPipeline(otlp.Endpoint);
        await pipeline.InitializeAsync();
        try
        {
            // The strip polls the pixel and the shipper: once it shows every stage, polling works.
            using (var consumer = new HttpClient { BaseAddress = pipeline.ConsumerUri })
            {
                Assert.True(await TestEnvironment.EventuallyAsync(() => StripSeesEveryStageAsync(consumer), TimeSpan.FromMinutes(1),
                    TimeSpan.FromMilliseconds(500)), "the reconciliation strip did not see every stage");
            }

            // Anything traced while starting (the first requests): let it be exported, then forget it.
            Assert.True(await MoreMetricExportsAsync(otlp, 3), "a service exported no metrics");
            otlp.ClearSpans();

            // Idle: the orchestrator probes every service, the strip polls the pixel and the shipper each second, and an
            // open dashboard page polls the consumer's API and holds its event stream.
            using var page = new CancellationTokenSource();
            var polling = PollLikeThePageAsync(pipeline.ConsumerUri, page.Token);
            Assert.True(await MoreMetricExportsAsync(otlp, 10), "a service stopped exporting metrics");
            await page.CancelAsync();
            Assert.True(await polling > 0, "the page's polling got no answer");
            Assert.True(await MoreMetricExportsAsync(otlp, 3), "a service stopped exporting metrics");
            Assert.True(otlp.Spans.Count == 0, $"traces while idle: {string.Join("; ", otlp.Spans.Take(10))}");

            using var pixel = new HttpClient { BaseAddress = pipeline.PixelUri };
            for (var i = 0; i < 10; i++)
            {
                (await pixel.GetAsync($"/i?param=traces&n={i}")).EnsureSuccessStatusCode();
            }

            // Each hit's trace is whole once the pixel's request, the shipper's "ship" and the consumer's "apply" are in.
            var whole = await TestEnvironment.EventuallyAsync(() => HitTraces(otlp).Count == 10 && HitTraces(otlp).All(trace =>
                    otlp.Spans.Any(s => s.TraceId == trace && s.Service == "shipper" && s.Name == "ship")
                    && otlp.Spans.Any(s => s.TraceId == trace && s.Service == "consumer" && s.Name == "apply")),
                TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(250));
            Assert.True(whole, $"the hits' traces are not whole: {string.Join("; ", otlp.Spans)}");

            // Three more of each service's exports: polling or probe spans made meanwhile would be exported by now.
            Assert.True(await MoreMetricExportsAsync(otlp, 3), "a service stopped exporting metrics");

            var hits = HitTraces(otlp);
            var strays = otlp.Spans.Where(s => !hits.Contains(s.TraceId)).ToList();
            Assert.True(strays.Count == 0, $"{strays.Count} spans outside the hits' traces, e.g. {string.Join("; ", strays.Take(10))}");
            Assert.Equal(10, otlp.Spans.Select(s => s.TraceId).Distinct().Count());
            Assert.Equal(10, otlp.Spans.Count(s => s.ParentSpanId.Length == 0));
        }
        finally
        {
            await pipeline.DisposeAsync();
        }
    }

    /// <summary>
    /// Waits until every service exported metrics <paramref name="count"/> more times. The AppHost sets a one-second
    /// export interval, the same as the span exporter's batch delay: the services' own clock, whatever this machine's speed.
    /// </summary>
    private static async Task<bool> MoreMetricExportsAsync(OtlpReceiver otlp, int count)
    {
        var start = Services.ToDictionary(s => s, otlp.MetricExports);
        return await TestEnvironment.EventuallyAsync(() => Services.All(s => otlp.MetricExports(s) >= start[s] + count), TimeSpan.FromMinutes(3));
    }

    /// <summary>
    /// What the dashboard page (wwwroot/app.js, range.js) asks of the consumer until cancelled: the event stream, the
    /// recent hits every 2 s, a range every 5 s and, without EventSource, the snapshot, sites and strip. Returns the
    /// number of answers (each one a frame of the stream or a 200).
    /// </summary>
    private static async Task<int> PollLikeThePageAsync(Uri consumer, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = consumer };
        var answers = 0;
        try
        {
            using var stream = await http.GetAsync("/api/stream", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            using var events = new StreamReader(await stream.Content.ReadAsStreamAsync(cancellationToken));
            string[] polled = ["/api/events/recent?n=20", "/api/stats?range=today", "/api/stats", "/api/sites", "/api/reconciliation", "/api/checkpoint"];
            while (!cancellationToken.IsCancellationRequested)
            {
                if (await events.ReadLineAsync(cancellationToken) is not { } line)
                {
                    break;
                }

                if (!line.StartsWith("event: stats", StringComparison.Ordinal))
                {
                    continue;
                }

                answers++; // once a second
                foreach (var path in polled)
                {
                    using var response = await http.GetAsync(path, cancellationToken);
                    answers += response.IsSuccessStatusCode ? 1 : 0;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        return answers;
    }

    /// <summary>The traces the pixel started, one per hit.</summary>
    private static HashSet<string> HitTraces(OtlpReceiver otlp) =>
        otlp.Spans.Where(s => s.Service == "pixel" && s.UrlPath == "/i").Select(s => s.TraceId).ToHashSet();

    private static async Task<bool> StripSeesEveryStageAsync(HttpClient consumer)
    {
        var report = await consumer.GetFromJsonAsync<JsonElement>("/api/reconciliation");
        return report.GetProperty("stages").EnumerateArray().All(s => s.GetProperty("count").ValueKind == JsonValueKind.Number);
    }
}
