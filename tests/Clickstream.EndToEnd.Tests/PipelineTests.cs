using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Clickstream.Contracts;
using Clickstream.Tests;

namespace Clickstream.EndToEnd.Tests;

/// <summary>A hit travels pixel → access log → shipper → Kafka → consumer → API, through the real AppHost.</summary>
public sealed class PipelineTests(PipelineFixture pipeline) : IClassFixture<PipelineFixture>
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_pixel_hit_is_counted_exactly_once_and_is_on_the_topic_with_its_visitor_as_key()
    {
        const int hits = 40;
        var visitors = Enumerable.Range(0, hits).Select(i => $"{i:x2}".PadLeft(32, 'a')).ToList();
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = pipeline.PixelUri };
        var before = await pipeline.TotalEventsAsync();

        foreach (var visitor in visitors)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/i?param=testing&n={visitor[^2..]}");
            request.Headers.Add("Cookie", $"uid={visitor}");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(43, (await response.Content.ReadAsByteArrayAsync()).Length);
        }

        var counted = await TestEnvironment.EventuallyAsync(async () => await pipeline.TotalEventsAsync() - before >= hits, Bounded);
        Assert.True(counted, $"the consumer counted {await pipeline.TotalEventsAsync() - before} of {hits} hits within {Bounded}");
        // Exactly: once the consumer has dealt with every message on the topic, the count is the hits (no duplicates).
        var messages = await pipeline.SettledAsync();
        var after = await pipeline.TotalEventsAsync();
        Assert.True(hits == after - before,
            $"counted {after - before} for {hits} hits; on the topic: {string.Join(", ", messages.Select(m => $"{m.Key}@{m.Partition}/{m.Offset} {m.Headers}"))}");

        var keyed = messages.Where(m => visitors.Contains(m.Key)).ToList();
        Assert.Equal(hits, keyed.Count);
        Assert.Equal(visitors.Order(), keyed.Select(m => m.Key).Order());
        Assert.All(keyed, m =>
        {
            using var line = JsonDocument.Parse(m.Value);
            Assert.Equal(m.Key, line.RootElement.GetProperty(AccessLogFields.Cookie).GetString());
            Assert.StartsWith("/i?param=testing", line.RootElement.GetProperty(AccessLogFields.Path).GetString());
            Assert.Contains($"{KafkaHeaders.EventId}=", m.Headers);
            // One trace per hit: the shipper's span continues the trace the pixel wrote into the line.
            var pixelTrace = line.RootElement.GetProperty(AccessLogFields.TraceParent).GetString()!.Split('-');
            var header = System.Text.RegularExpressions.Regex.Match(m.Headers, KafkaHeaders.TraceParent + "=(00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2})");
            Assert.True(header.Success, $"no traceparent header in {m.Headers}");
            Assert.Equal(pixelTrace[1], header.Groups[1].Value.Split('-')[1]);
        });
    }

    [Fact]
    public async Task The_dashboard_page_its_script_and_the_health_endpoints_answer()
    {
        using var http = new HttpClient { BaseAddress = pipeline.ConsumerUri };
        using var pageResponse = await http.GetAsync("/");
        Assert.Equal("text/html", pageResponse.Content.Headers.ContentType?.MediaType);
        var page = await pageResponse.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"app.js\"", page);
        using var scriptResponse = await http.GetAsync("/app.js");
        Assert.Equal("text/javascript", scriptResponse.Content.Headers.ContentType?.MediaType);
        var script = await scriptResponse.Content.ReadAsStringAsync();
        // Every element the script fills is on the page the consumer serves.
        var ids = System.Text.RegularExpressions.Regex.Matches(script, @"\b(?:el|setText|table|chart)\('([a-z0-9-]+)'")
            .Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(ids.Count >= 20, $"only {ids.Count} element lookups found in app.js");
        Assert.All(ids, id => Assert.Contains($"id=\"{id}\"", page));
        Assert.Equal("Healthy", await http.GetStringAsync(Microsoft.Extensions.Hosting.HealthProbes.HealthPath));

        using var pixel = new HttpClient { BaseAddress = pipeline.PixelUri };
        Assert.Equal("Healthy", await pixel.GetStringAsync("/health"));
    }

    [Fact]
    public async Task The_reconciliation_strip_sees_every_stage_and_no_gap_once_hits_settle()
    {
        using var pixel = new HttpClient { BaseAddress = pipeline.PixelUri };
        for (var i = 0; i < 5; i++)
        {
            (await pixel.GetAsync($"/i?param=reconcile&n={i}")).EnsureSuccessStatusCode();
        }

        using var consumer = new HttpClient { BaseAddress = pipeline.ConsumerUri };
        JsonElement report = default;
        var settled = await TestEnvironment.EventuallyAsync(async () =>
        {
            report = await consumer.GetFromJsonAsync<JsonElement>("/api/reconciliation");
            var counts = report.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("count")).ToList();
            return counts.All(c => c.ValueKind == JsonValueKind.Number) && counts.Select(c => c.GetInt64()).Distinct().Count() == 1
                && report.GetProperty("ok").GetBoolean();
        }, Bounded, TimeSpan.FromMilliseconds(500));
        Assert.True(settled, $"served → written → shipped → acked → applied did not settle equal: {report}");
        Assert.Equal(["served", "written", "shipped", "acked", "applied"],
            report.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
    }
}
