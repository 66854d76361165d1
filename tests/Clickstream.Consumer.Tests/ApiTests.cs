using System.Net.Http.Json;
using System.Text.Json;
using Clickstream.Tests;

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

        Assert.Equal(["event: stats", "event: reconciliation", "event: stats"], events);
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
