using System.Net;
using System.Text.Json;
using Clickstream.Contracts;
using Clickstream.Tests;

namespace Clickstream.EndToEnd.Tests;

/// <summary>The same pipeline with <c>Pixel:Server=nginx</c>: real nginx from the machine answers the pixel.</summary>
public sealed class NginxPipelineFixture : PipelineFixture
{
    protected override IEnumerable<string> ExtraArguments => ["--Pixel:Server=nginx"];
}

public sealed class NginxPipelineTests(NginxPipelineFixture pipeline) : IClassFixture<NginxPipelineFixture>
{
    [Fact]
    public async Task Hits_answered_by_nginx_reach_the_topic_and_are_counted_exactly_once()
    {
        const int hits = 25;
        var visitors = Enumerable.Range(0, hits).Select(i => $"{i:x2}".PadLeft(32, 'b')).ToList();
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = pipeline.PixelUri };
        var before = await pipeline.TotalEventsAsync();

        foreach (var visitor in visitors)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/i?param=nginx&v={visitor[^2..]}");
            request.Headers.Add("Cookie", $"uid={visitor}");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // nginx's own empty_gif, not Kestrel: the Server header says who answered.
            Assert.Contains("nginx", response.Headers.Server.ToString());
            Assert.Equal(43, (await response.Content.ReadAsByteArrayAsync()).Length);
        }

        var counted = await TestEnvironment.EventuallyAsync(async () => await pipeline.TotalEventsAsync() - before >= hits, TimeSpan.FromSeconds(30));
        Assert.True(counted, $"the consumer counted {await pipeline.TotalEventsAsync() - before} of {hits} nginx hits");
        // Exactly: once the consumer has dealt with every message on the topic, the count is the hits (no duplicates).
        var messages = await pipeline.SettledAsync();
        Assert.Equal(hits, await pipeline.TotalEventsAsync() - before);

        var ours = messages.Where(m => visitors.Contains(m.Key)).ToList();
        Assert.Equal(visitors.Order(), ours.Select(m => m.Key).Order());
        Assert.All(ours, m =>
        {
            using var line = JsonDocument.Parse(m.Value);
            var fields = line.RootElement.EnumerateObject().Select(p => p.Name).Take(11);
            Assert.Equal(AccessLogFields.All.Take(11), fields);
            Assert.Equal("200", line.RootElement.GetProperty(AccessLogFields.Code).GetString());
            Assert.StartsWith("/i?param=nginx", line.RootElement.GetProperty(AccessLogFields.Path).GetString());
        });
    }
}
