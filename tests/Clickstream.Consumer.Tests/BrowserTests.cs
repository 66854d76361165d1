using System.Globalization;
using Clickstream.Tests;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Clickstream.Consumer.Tests;

/// <summary>
/// The page in headless Chromium (the Debian package, driven by Playwright without its own browser
/// download): the consumer runs on Kestrel on a free port against an in-process mock cluster, events
/// are produced while the page is open, and its counters must change within 3 seconds.
/// </summary>
public sealed class BrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task The_page_counts_new_hits_within_three_seconds_and_reads_on_a_phone()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: test.sh installs it (apt-get install chromium)");
        await using var topic = new TopicFixture();
        topic.ProduceHits(0, 5);
        topic.Flush();

        await using var factory = new ConsumerFactory(topic.BootstrapServers);
        // Port 0: Kestrel binds a free port and keeps it; the address it took is read back.
        factory.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var url = $"http://127.0.0.1:{new Uri(address).Port}/";

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox"],
        });
        // A phone-sized viewport: the page must stay readable there.
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 390, Height = 844 } });
        await page.GotoAsync(url);

        var total = page.Locator("#total");
        await Assertions.Expect(total).ToHaveTextAsync("5", new LocatorAssertionsToHaveTextOptions { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#live-text")).ToHaveTextAsync("live");
        Assert.Equal("5", await page.Locator("#now-hits").TextContentAsync());
        Assert.Equal("n/a", await page.Locator("#stage-served .n").TextContentAsync());

        // Fire hits while the page is open: the counters follow within 3 seconds.
        topic.ProduceHits(5, 12);
        topic.Flush();
        var produced = DateTime.UtcNow;
        await Assertions.Expect(total).ToHaveTextAsync("12", new LocatorAssertionsToHaveTextOptions { Timeout = 3_000 });
        await Assertions.Expect(page.Locator("#now-hits")).ToHaveTextAsync("12", new LocatorAssertionsToHaveTextOptions { Timeout = 3_000 });
        var took = DateTime.UtcNow - produced;
        Assert.True(await page.Locator("#chart-seconds rect").CountAsync() == 300);
        Assert.Contains("param=testing", await page.Locator("#top-params").TextContentAsync());

        // "Now" and "last 30 minutes" sit side by side, even on a phone.
        var now = await page.Locator("#now-hits").BoundingBoxAsync();
        var last30 = await page.Locator("#last30-hits").BoundingBoxAsync();
        Assert.True(now is not null && last30 is not null && Math.Abs(now.Y - last30.Y) < 2 && last30.X > now.X, "the two windows are not side by side");

        // No horizontal scrolling on a phone.
        var overflow = await page.EvaluateAsync<bool>("document.documentElement.scrollWidth > window.innerWidth + 1");
        Assert.False(overflow, "the page is wider than a phone screen");

        var shots = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(shots);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "dashboard-phone.png"), FullPage = true });
        await page.SetViewportSizeAsync(1280, 900);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "dashboard-desktop.png"), FullPage = true });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"page updated {took.TotalMilliseconds:F0} ms after the hits were produced; screenshots in {shots}"));
    }
}
