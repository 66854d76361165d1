using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Clickstream.Tests;
using Xunit.Abstractions;

namespace Clickstream.EndToEnd.Tests;

/// <summary>Its own AppHost: the test stops and starts the whole application, which would disturb other tests.</summary>
public sealed class HistoryRestartFixture : PipelineFixture;

/// <summary>
/// What a user does: <c>dotnet run</c> the AppHost, Ctrl+C, <c>dotnet run</c> again. The embedded emulator starts
/// with an empty topic, while the consumer's checkpoint and the shipper's survive in the data directory: every
/// site's figures must come back exactly, and new hits count on top of them.
/// </summary>
public sealed class HistoryRestartTests(HistoryRestartFixture pipeline, ITestOutputHelper output) : IClassFixture<HistoryRestartFixture>
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(90);

    // Pageviews and distinct visitors per site.
    private static readonly (string Site, int Visitors, int PagesEach)[] Sites = [("restart-a", 3, 2), ("restart-b", 2, 3)];

    [Fact]
    public async Task An_AppHost_restart_with_an_empty_topic_keeps_every_sites_figures_and_counts_new_hits_on_top()
    {
        // Today in UTC (the default zone), with a day on either side: a run across midnight stays in the window.
        var day = DateOnly.FromDateTime(DateTime.UtcNow);
        var window = $"from={day.AddDays(-1):yyyy-MM-dd}&to={day.AddDays(2):yyyy-MM-dd}";
        foreach (var (site, visitors, pages) in Sites)
        {
            for (var v = 0; v < visitors; v++)
            {
                for (var p = 0; p < pages; p++)
                {
                    await HitAsync(site, $"{site}-{v}-{p}", Cookie(site, v), $"/page-{p}");
                }
            }
        }

        var before = new Dictionary<string, Figures>();
        foreach (var (site, visitors, pages) in Sites)
        {
            var figures = await FiguresWhenAsync(site, window, f => f.Pageviews == visitors * pages);
            Assert.Equal((visitors * pages, visitors), (figures.Pageviews, figures.Visitors));
            before[site] = figures;
        }

        var totalBefore = await pipeline.TotalEventsAsync();
        output.WriteLine($"before the restart: total {totalBefore}; {string.Join("; ", before.Select(b => $"{b.Key} {b.Value}"))}");

        // Ctrl+C: the AppHost stops every service (the consumer writes its last checkpoint) and starts them again; the
        // emulator is a new process with an empty topic.
        await pipeline.StartAsync([], ["kafka", "pixel", "shipper", "consumer"]);

        foreach (var (site, _, _) in Sites)
        {
            var after = await FiguresWhenAsync(site, window, f => f.Pageviews >= before[site].Pageviews);
            Assert.Equal(before[site], after);
        }

        Assert.Equal(totalBefore, await pipeline.TotalEventsAsync());

        // New hits on the new topic count on top; a returning visitor is not a new one.
        foreach (var (site, _, _) in Sites)
        {
            await HitAsync(site, $"{site}-again", Cookie(site, 0), "/after-restart");
            await HitAsync(site, $"{site}-new", Cookie(site, 99), "/after-restart");
        }

        foreach (var (site, _, _) in Sites)
        {
            var after = await FiguresWhenAsync(site, window, f => f.Pageviews >= before[site].Pageviews + 2);
            Assert.Equal(before[site].Pageviews + 2, after.Pageviews);
            Assert.Equal(before[site].Visitors + 1, after.Visitors);
        }

        using var consumer = new HttpClient { BaseAddress = pipeline.ConsumerUri };
        var stats = await consumer.GetFromJsonAsync<JsonElement>("/api/stats");
        Assert.Equal(totalBefore + 2 * Sites.Length, stats.GetProperty("totalEvents").GetInt64());
        Assert.Equal(0, stats.GetProperty("lostToOffsetResets").GetInt64());
    }

    private sealed record Figures(long Pageviews, long Visitors, long Sessions, long Events);

    private static string Cookie(string site, int visitor) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{site}/{visitor}")))[..32].ToLowerInvariant();

    private async Task HitAsync(string site, string eventId, string cookie, string path)
    {
        using var pixel = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = pipeline.PixelUri };
        var url = Uri.EscapeDataString($"https://{site}.example{path}");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/i?e=pv&eid={eventId}&tv=test&p=web&aid={site}&url={url}");
        request.Headers.TryAddWithoutValidation("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36");
        request.Headers.Add("Cookie", $"uid={cookie}");
        using var response = await pixel.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<Figures> FiguresWhenAsync(string site, string window, Func<Figures, bool> done)
    {
        using var consumer = new HttpClient { BaseAddress = pipeline.ConsumerUri };
        Figures? figures = null;
        var reached = await TestEnvironment.EventuallyAsync(async () =>
        {
            try
            {
                using var response = await consumer.GetAsync($"/api/stats?site={Uri.EscapeDataString(site)}&{window}");
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return false;
                }

                var f = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("range").GetProperty("figures");
                figures = new Figures(f.GetProperty("pageviews").GetInt64(), f.GetProperty("visitors").GetInt64(),
                    f.GetProperty("sessions").GetInt64(), f.GetProperty("events").GetInt64());
                return done(figures);
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, Bounded, TimeSpan.FromMilliseconds(500));
        Assert.True(reached, string.Create(CultureInfo.InvariantCulture, $"{site}: figures {figures} did not reach the expected ones within {Bounded}"));
        return figures!;
    }
}
