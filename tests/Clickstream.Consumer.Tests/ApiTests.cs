using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using System.Net.Http.Json;
using System.Text.Json;
using Clickstream.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Clickstream.Consumer.Tests;

/// <summary>The HTTP API of the running app against the embedded broker.</summary>
public sealed class ApiTests
{
    [Fact]
    public async Task Stats_recent_events_reconciliation_and_the_event_stream_answer()
    {
        await using var topic = new TopicFixture();
        topic.ProduceHits(0, 30);
        topic.Flush();
        await using var factory = new ConsumerFactory(topic.BootstrapServers);
        using var client = factory.CreateClient();

        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
            (await client.GetFromJsonAsync<JsonElement>("/api/stats")).GetProperty("totalEvents").GetInt64() == 30, TimeSpan.FromSeconds(30)));
        var stats = await client.GetFromJsonAsync<JsonElement>("/api/stats");
        Assert.Equal(30, stats.GetProperty("now").GetProperty("hits").GetInt64());
        Assert.Equal(30, stats.GetProperty("uniqueVisitors").GetInt64()); // hits 0…29 of 40 visitors
        Assert.Equal(300, stats.GetProperty("perSecond").GetArrayLength());
        Assert.Equal("param=testing", stats.GetProperty("topQueryParameters")[0].GetProperty("key").GetString());

        // Bare pixel hits: the Referer is the page, so its host is the site and its path the page.
        var sites = await client.GetFromJsonAsync<JsonElement>("/api/sites");
        Assert.Equal("example.com", Assert.Single(sites.EnumerateArray()).GetProperty("site").GetString());
        var site = await client.GetFromJsonAsync<JsonElement>("/api/stats?site=example.com");
        Assert.Equal(30, site.GetProperty("pageviews").GetInt64());
        Assert.Equal(30, site.GetProperty("totalEvents").GetInt64());
        Assert.Equal(10, site.GetProperty("topPages")[0].GetProperty("count").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/stats?site=nowhere")).StatusCode);

        var recent = await client.GetFromJsonAsync<JsonElement>("/api/events/recent?n=5");
        Assert.Equal(5, recent.GetArrayLength());
        Assert.All(recent.EnumerateArray(), e => Assert.Equal("203.0.113.0", e.GetProperty("remote").GetString()));

        var reconciliation = await client.GetFromJsonAsync<JsonElement>("/api/reconciliation");
        var stages = reconciliation.GetProperty("stages").EnumerateArray().ToList();
        Assert.Equal(JsonValueKind.Null, stages[0].GetProperty("count").ValueKind); // pixel unreachable: n/a
        Assert.Equal(30, stages[^1].GetProperty("count").GetInt64());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/stream");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (events.Count(e => e == "event: stats") < 2 && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                events.Add(line);
            }
            else if (line.StartsWith("data: {\"totalEvents\"", StringComparison.Ordinal))
            {
                Assert.Equal(30, JsonDocument.Parse(line["data: ".Length..]).RootElement.GetProperty("totalEvents").GetInt64());
            }
        }

        Assert.Equal(["event: stats", "event: sites", "event: reconciliation", "event: stats"], events);
    }

    [Fact]
    public async Task The_event_stream_ends_when_the_app_stops()
    {
        // Kestrel waits for running requests before it stops (up to 30 s): an open dashboard held SIGTERM that long.
        await using var topic = new TopicFixture(partitions: 1);
        await using var factory = new ConsumerFactory(topic.BootstrapServers);
        using var client = factory.CreateClient();
        using var response = await client.GetAsync("/api/stream", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        // The first event tells EventSource to reconnect after a second when the stream ends.
        var first = new List<string>();
        while (await reader.ReadLineAsync(timeout.Token) is { Length: > 0 } line)
        {
            first.Add(line);
        }

        Assert.Equal("event: stats", first[0]);
        Assert.Contains("retry: 1000", first);

        factory.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        // A stream that ignores the stop runs until the client leaves: the read below then times out instead of ending.
        using var ending = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (await reader.ReadLineAsync(ending.Token) is not null)
        {
        }
    }

    [Fact]
    public async Task Raw_addresses_are_shown_only_when_configured()
    {
        await using var topic = new TopicFixture(partitions: 1);
        topic.ProduceHits(0, 3);
        topic.Flush();
        await using var factory = new ConsumerFactory(topic.BootstrapServers, new Dictionary<string, string> { ["Consumer:ShowRemoteAddresses"] = "true" });
        using var client = factory.CreateClient();
        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
            (await client.GetFromJsonAsync<JsonElement>("/api/events/recent")).GetArrayLength() == 3, TimeSpan.FromSeconds(30)));
        var recent = await client.GetFromJsonAsync<JsonElement>("/api/events/recent");
        Assert.Equal("203.0.113.77", recent[0].GetProperty("remote").GetString());
        Assert.Equal(2, recent[0].GetProperty("offset").GetInt64()); // newest first
    }
}

/// <summary>The reconciliation strip's data against stand-ins for the pixel's and shipper's <c>/stats</c>.</summary>
public sealed class ReconciliationApiTests
{
    [Fact]
    public async Task Pixel_and_shipper_counters_are_fetched_and_compared_with_what_was_applied()
    {
        var fake = WebApplication.CreateSlimBuilder();
        // Port 0: bound and kept by the stand-in, read back once it is started.
        fake.WebHost.UseUrls("http://127.0.0.1:0");
        await using var stand = fake.Build();
        stand.MapGet("/pixel/stats", () => Results.Text("""{"hitsServed":12,"linesWritten":12,"linesDropped":0}""", "application/json"));
        stand.MapGet("/shipper/stats", () => Results.Text(
            """{"linesRead":12,"linesSent":12,"linesAcked":12,"deadLettered":0,"inFlight":0,"ackLatencyP99Ms":3.5}""", "application/json"));
        await stand.StartAsync();
        var port = new Uri(stand.Urls.Single()).Port;

        await using var topic = new TopicFixture(partitions: 1);
        topic.ProduceHits(0, 10);
        topic.Flush();
        await using var factory = new ConsumerFactory(topic.BootstrapServers, new Dictionary<string, string>
        {
            ["Reconciliation:PixelUrl"] = $"http://127.0.0.1:{port}/pixel/",
            ["Reconciliation:ShipperUrl"] = $"http://127.0.0.1:{port}/shipper/",
        });
        using var client = factory.CreateClient();

        JsonElement report = default;
        var settled = await TestEnvironment.EventuallyAsync(async () =>
        {
            report = await client.GetFromJsonAsync<JsonElement>("/api/reconciliation");
            return report.GetProperty("stages")[0].GetProperty("count").ValueKind == JsonValueKind.Number
                && report.GetProperty("stages")[4].GetProperty("count").GetInt64() == 10;
        }, TimeSpan.FromSeconds(30));
        Assert.True(settled, report.ToString());
        Assert.Equal([12L, 12L, 12L, 12L, 10L], report.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("count").GetInt64()));
        Assert.False(report.GetProperty("ok").GetBoolean()); // 2 acked but not applied, nothing in flight
        Assert.Contains("acked but not applied", report.GetProperty("gaps")[3].GetProperty("reason").GetString());

        topic.ProduceHits(10, 12);
        topic.Flush();
        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
            (await client.GetFromJsonAsync<JsonElement>("/api/reconciliation")).GetProperty("ok").GetBoolean(), TimeSpan.FromSeconds(10)));
    }
}
