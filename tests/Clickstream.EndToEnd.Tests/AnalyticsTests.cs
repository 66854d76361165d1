using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Clickstream.Contracts.Analytics;
using Clickstream.Tests;
using Microsoft.Playwright;

namespace Clickstream.EndToEnd.Tests;

/// <summary>
/// The analytics view through the real AppHost (pixel → access log → shipper → Kafka → consumer): three sites
/// by plain HTTP, then real pages in headless Chromium with our tracker, with Snowplow's own browser tracker and
/// with the no-JS image, and the dashboard showing what they sent. Pages are served by Playwright's routing at
/// <c>http://NAME.example.test/</c>; Chromium resolves <c>*.example.test</c> to 127.0.0.1, so the pixel is
/// <c>http://NAME.example.test:PORT</c>, the same site as the page (its cookie is first-party, as on a site
/// that serves the pixel from its own domain). Each test has sites of its own, so they share one AppHost.
/// </summary>
public sealed class AnalyticsTests(PipelineFixture pipeline) : IClassFixture<PipelineFixture>
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);

    // Every site this class sends hits for: /api/sites must list no other.
    private static readonly string[] ClassSites = ["alpha", "beta.example", "gamma", "ours", "snowplow", "nojs", "dashboard"];

    private const string Chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    [Fact]
    public async Task Three_sites_are_listed_and_counted_exactly()
    {
        using var pixel = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = pipeline.PixelUri };
        async Task HitAsync(string query, string? cookie = null, string? referer = null, string agent = Chrome, bool doNotTrack = false)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/i?" + query);
            request.Headers.TryAddWithoutValidation("User-Agent", agent);
            if (cookie is not null)
            {
                request.Headers.Add("Cookie", $"uid={cookie}");
            }

            if (referer is not null)
            {
                request.Headers.Referrer = new Uri(referer);
            }

            if (doNotTrack)
            {
                request.Headers.Add("Sec-GPC", "1");
            }

            using var response = await pixel.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        static string Pv(string? aid, string url, string refr, string eid) =>
            $"e=pv&eid={eid}&tv=test&p=web{(aid is null ? "" : $"&aid={aid}")}&url={Uri.EscapeDataString(url)}&refr={Uri.EscapeDataString(refr)}";

        var (a, b, c) = (new string('a', 32), new string('b', 32), new string('c', 32));
        // alpha: a newsletter visit of two pages and a sign-up, and a visit from Google of one page.
        await HitAsync(Pv("alpha", "https://alpha.example/?utm_source=newsletter&utm_medium=email&utm_campaign=launch", "", "a1"), a, "https://alpha.example/");
        await HitAsync(Pv("alpha", "https://alpha.example/pricing", "https://alpha.example/", "a2"), a, "https://alpha.example/pricing");
        var signup = """{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"iglu:com.acme/signup/jsonschema/1-0-0","data":{"plan":"pro"}}}""";
        await HitAsync($"e=ue&eid=a3&aid=alpha&url={Uri.EscapeDataString("https://alpha.example/pricing")}&ue_px={Base64Url(signup)}", a);
        await HitAsync(Pv("alpha", "https://alpha.example/pricing", "https://www.google.com/", "a4"), b, "https://alpha.example/pricing");
        // beta.example (no aid: the page's host without www.): one page, a structured event, a tracker's retry, a crawler.
        await HitAsync(Pv(null, "https://www.beta.example/blog/post", "https://news.ycombinator.com/item?id=1", "b1"), c);
        await HitAsync(Pv(null, "https://www.beta.example/blog/post", "https://news.ycombinator.com/item?id=1", "b1"), c);
        await HitAsync($"e=se&eid=b2&url={Uri.EscapeDataString("https://www.beta.example/blog/post")}&se_ca=video&se_ac=play", c);
        await HitAsync(Pv(null, "https://www.beta.example/", "", "b3"), agent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
        // gamma: the no-JS image twice from one browser that sends Sec-GPC (no cookie: the cookieless id).
        await HitAsync($"e=pv&aid=gamma&tv={TrackerProtocol.NoScriptTrackerVersion}", referer: "https://gamma.example/articles/one", doNotTrack: true);
        await HitAsync($"e=pv&aid=gamma&tv={TrackerProtocol.NoScriptTrackerVersion}", referer: "https://gamma.example/articles/two", doNotTrack: true);

        using var consumer = new HttpClient { BaseAddress = pipeline.ConsumerUri };
        JsonElement sites = default;
        var counted = await TestEnvironment.EventuallyAsync(async () =>
        {
            sites = await consumer.GetFromJsonAsync<JsonElement>("/api/sites");
            return Pageviews(sites, "alpha") == 3 && Pageviews(sites, "beta.example") == 1 && Pageviews(sites, "gamma") == 2
                && (await SiteAsync(consumer, "beta.example"))?.GetProperty("customEvents").GetArrayLength() == 1
                && (await SiteAsync(consumer, "alpha"))?.GetProperty("customEvents").GetArrayLength() == 1;
        }, Bounded);
        Assert.True(counted, $"not every hit was counted within {Bounded}: {sites}");

        Assert.All(sites.EnumerateArray(), s => Assert.Contains(s.GetProperty("site").GetString(), ClassSites));
        var ours = sites.EnumerateArray().Where(s => s.GetProperty("site").GetString() is "alpha" or "beta.example" or "gamma")
            .Select(s => (s.GetProperty("site").GetString(), s.GetProperty("currentVisitors").GetInt64(), s.GetProperty("pageviews").GetInt64()))
            .ToList();
        // Busiest first: current visitors, then page views.
        Assert.Equal([("alpha", 2L, 3L), ("gamma", 1L, 2L), ("beta.example", 1L, 1L)], ours);

        var alpha = (await SiteAsync(consumer, "alpha"))!.Value;
        Assert.Equal((3L, 2L, 2L, 0.5, 4L, 0L), Figures(alpha));
        Assert.Equal([("/pricing", 2), ("/", 1)], Ranked(alpha, "topPages"));
        Assert.Equal([("/", 1), ("/pricing", 1)], Ranked(alpha, "topEntryPages"));
        Assert.Equal([("Google", 1), ("newsletter", 1)], Ranked(alpha, "topSources"));
        Assert.Equal([("launch", 1)], Ranked(alpha, "topCampaigns"));
        Assert.Equal([(Channels.Email, 1), (Channels.OrganicSearch, 1)], Ranked(alpha, "channels"));
        Assert.Equal([("signup", 1)], Ranked(alpha, "customEvents"));

        var beta = (await SiteAsync(consumer, "beta.example"))!.Value;
        Assert.Equal((1L, 1L, 1L, 1.0, 2L, 1L), Figures(beta));
        Assert.Equal([("/blog/post", 1)], Ranked(beta, "topPages"));
        Assert.Equal([("Hacker News", 1)], Ranked(beta, "topSources"));
        Assert.Equal([(Channels.OrganicSocial, 1)], Ranked(beta, "channels"));
        Assert.Equal([("video/play", 1)], Ranked(beta, "customEvents"));

        var gamma = (await SiteAsync(consumer, "gamma"))!.Value;
        Assert.Equal((2L, 1L, 1L, 0.0, 2L, 0L), Figures(gamma));
        Assert.Equal([("/articles/one", 1), ("/articles/two", 1)], Ranked(gamma, "topPages"));

        Assert.Equal(HttpStatusCode.NotFound, (await consumer.GetAsync("/api/stats?site=never-seen")).StatusCode);
    }

    [Fact]
    public async Task Our_tracker_counts_pages_spa_navigation_campaign_and_custom_event_as_one_visit()
    {
        const string site = "ours";
        var host = "ours.example.test";
        var pixel = $"http://{host}:{pipeline.PixelPort}";
        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.NewPageAsync(host, path => OurTrackerPage(pixel, site, path switch
        {
            "/landing" => "Landing",
            _ => "Docs",
        }));

        await Hit(page, "e=pv", () => page.GotoAsync($"http://{host}/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring"));
        await Hit(page, "%2Fdocs", () => page.ClickAsync("#next"));
        await Hit(page, "%2Fpricing", () => page.EvaluateAsync("document.title = 'Pricing'; history.pushState({}, '', '/pricing')"));
        // The same URL again (a router's replaceState) is no new page view.
        await page.EvaluateAsync("history.replaceState({}, '', '/pricing')");
        await Hit(page, "e=ue", () => page.EvaluateAsync("clickstream('event', 'signup', {plan: 'pro'})"));

        using var consumer = new HttpClient { BaseAddress = pipeline.ConsumerUri };
        // Leaving the landing page hid it: a page ping with its engaged time went out (fetch keepalive).
        var stats = await CountedAsync(consumer, site, s => s.GetProperty("pageviews").GetInt64() == 3 && s.GetProperty("customEvents").GetArrayLength() == 1
            && s.GetProperty("engagedSecondsPerSession").ValueKind == JsonValueKind.Number && s.GetProperty("engagedSecondsPerSession").GetDouble() > 0);
        AssertOneVisit(stats, page);
        Assert.Equal([("signup", 1)], Ranked(stats, "customEvents"));
        var feed = stats.GetProperty("latestPageViews").EnumerateArray().Select(v => v.GetProperty("title").GetString()).ToList();
        Assert.Equal(["Pricing", "Docs", "Landing"], feed);

        // A browser that says navigator.webdriver is automation: counted apart, not as a page view.
        var automated = await chromium.NewPageAsync(host, path => OurTrackerPage(pixel, site, "Automated"), webdriver: true);
        await Hit(automated, "wd=1", () => automated.GotoAsync($"http://{host}/landing"));
        stats = await CountedAsync(consumer, site, s => s.GetProperty("botEvents").GetInt64() == 1);
        Assert.Equal((3, 1, 1), (stats.GetProperty("pageviews").GetInt64(), stats.GetProperty("visitors").GetInt64(), stats.GetProperty("sessions").GetInt64()));
    }

    [Fact]
    public async Task Snowplows_browser_tracker_works_unchanged_against_the_pixel()
    {
        const string site = "snowplow";
        var host = "snowplow.example.test";
        var script = Path.Combine(DeploymentTests.RepositoryRoot, "tests", "Clickstream.EndToEnd.Tests", "browser", "node_modules",
            "@snowplow", "browser-tracker", "dist", "index.umd.min.js");
        Assert.True(File.Exists(script), $"{script} is missing: ./test.sh installs it (npm ci in tests/Clickstream.EndToEnd.Tests/browser)");
        var pixel = $"http://{host}:{pipeline.PixelPort}";
        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.NewPageAsync(host, path => path == "/sp.js" ? File.ReadAllText(script) : $$"""
            <!doctype html><html><head><title>{{(path == "/landing" ? "Landing" : "Docs")}}</title>
            <script src="/sp.js"></script>
            <script>
              // Its cookies (visitor and session ids) default to SameSite=None; Secure, which an http page cannot set.
              snowplowBrowserTracking.newTracker('sp', '{{pixel}}', { appId: '{{site}}', eventMethod: 'get', platform: 'web',
                cookieSameSite: 'Lax', cookieSecure: false });
              snowplowBrowserTracking.trackPageView();
            </script></head>
            <body><a id="next" href="/docs">Docs</a></body></html>
            """);

        await Hit(page, "e=pv", () => page.GotoAsync($"http://{host}/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring"));
        await Hit(page, "%2Fdocs", () => page.ClickAsync("#next"));
        await Hit(page, "%2Fpricing", () => page.EvaluateAsync("document.title = 'Pricing'; history.pushState({}, '', '/pricing'); snowplowBrowserTracking.trackPageView()"));
        await Hit(page, "e=ue", () => page.EvaluateAsync(
            "snowplowBrowserTracking.trackSelfDescribingEvent({ event: { schema: 'iglu:com.acme/signup/jsonschema/1-0-0', data: { plan: 'pro' } } })"));
        await Hit(page, "e=se", () => page.EvaluateAsync("snowplowBrowserTracking.trackStructEvent({ category: 'video', action: 'play' })"));

        using var consumer = new HttpClient { BaseAddress = pipeline.ConsumerUri };
        var stats = await CountedAsync(consumer, site, s => s.GetProperty("pageviews").GetInt64() == 3 && s.GetProperty("customEvents").GetArrayLength() == 2);
        AssertOneVisit(stats, page);
        Assert.Equal([("signup", 1), ("video/play", 1)], Ranked(stats, "customEvents"));
    }

    [Fact]
    public async Task A_no_js_image_counts_with_the_referer_as_the_page()
    {
        const string site = "nojs";
        var host = "nojs.example.test";
        await using var chromium = await Chromium.LaunchAsync();
        // JavaScript off, as for the visitors the fallback is for; the snippet as the README shows it.
        var page = await chromium.NewPageAsync(host, path => $$"""
            <!doctype html><html><head><title>No script</title></head><body>
            <noscript><img src="http://{{host}}:{{pipeline.PixelPort}}/i?e=pv&aid={{site}}&tv=no-js" referrerpolicy="no-referrer-when-downgrade" alt="" width="1" height="1"></noscript>
            </body></html>
            """, javaScript: false);
        await Hit(page, "tv=no-js", () => page.GotoAsync($"http://{host}/articles/one?ref=x"));

        using var consumer = new HttpClient { BaseAddress = pipeline.ConsumerUri };
        var stats = await CountedAsync(consumer, site, s => s.GetProperty("pageviews").GetInt64() == 1);
        Assert.Equal([("/articles/one", 1)], Ranked(stats, "topPages"));
        Assert.Equal((1, 1), (stats.GetProperty("visitors").GetInt64(), stats.GetProperty("sessions").GetInt64()));
        Assert.Equal([(Sources.Direct, 1)], Ranked(stats, "topSources"));
    }

    [Fact]
    public async Task The_dashboard_shows_a_sites_view_with_every_value_as_text_on_a_phone_and_a_desktop()
    {
        const string site = "dashboard";
        var host = "dashboard.example.test";
        const string title = """<script>window.__injected = 1</script><img src=x onerror="window.__injected = 2">""";
        const string eventName = "<b onmouseover=\"window.__injected = 3\">bold</b>";
        var pixel = $"http://{host}:{pipeline.PixelPort}";
        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.NewPageAsync(host, path => OurTrackerPage(pixel, site, path == "/landing" ? title : "Docs"));
        await Hit(page, "e=pv", () => page.GotoAsync($"http://{host}/landing?utm_source=newsletter&utm_medium=email&utm_campaign=winter"));
        Assert.Equal(title, await page.TitleAsync()); // the title the tracker sent
        await Hit(page, "%2Fdocs", () => page.ClickAsync("#next"));
        await Hit(page, "e=ue", () => page.EvaluateAsync("name => clickstream('event', name)", eventName));

        using var consumer = new HttpClient { BaseAddress = pipeline.ConsumerUri };
        await CountedAsync(consumer, site, s => s.GetProperty("pageviews").GetInt64() == 2 && s.GetProperty("customEvents").GetArrayLength() == 1);

        var dashboard = await chromium.NewPageAsync(null, null, viewport: new ViewportSize { Width = 390, Height = 844 });
        await dashboard.GotoAsync($"{pipeline.ConsumerUri}?site={site}");
        var feed = dashboard.Locator("#a-feed");
        var expect = new LocatorAssertionsToContainTextOptions { Timeout = 30_000 };
        await Assertions.Expect(feed).ToContainTextAsync(title, expect);
        await Assertions.Expect(dashboard.Locator("#a-events")).ToContainTextAsync(eventName, expect);
        await Assertions.Expect(dashboard.Locator("#a-campaigns")).ToContainTextAsync("winter", expect);
        await Assertions.Expect(dashboard.Locator("#a-pageviews")).ToHaveTextAsync("2", new LocatorAssertionsToHaveTextOptions { Timeout = 30_000 });
        Assert.Equal("1", await dashboard.Locator("#a-current").TextContentAsync());
        Assert.Equal("0%", await dashboard.Locator("#a-bounce").TextContentAsync()); // one session of two pages
        Assert.Contains($"{site} · 1 now", await dashboard.Locator("#site option:checked").TextContentAsync());
        foreach (var panel in new[] { "#a-pages", "#a-entry", "#a-sources", "#a-channels", "#a-browsers", "#a-systems", "#a-devices" })
        {
            Assert.True(await dashboard.Locator($"{panel} tr").CountAsync() > 0, $"{panel} is empty");
        }

        // Text, never markup: nothing from the hits became an element, nothing ran.
        Assert.Equal(0, await dashboard.Locator("#analytics script, #analytics img, #analytics b").CountAsync());
        Assert.Null(await dashboard.EvaluateAsync<int?>("window.__injected ?? null"));
        Assert.False(await dashboard.EvaluateAsync<bool>("document.documentElement.scrollWidth > window.innerWidth + 1"), "the page is wider than a phone screen");

        var shots = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(shots);
        await dashboard.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "site-view-phone.png"), FullPage = true });
        await dashboard.SetViewportSizeAsync(1280, 900);
        await dashboard.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "site-view-desktop.png"), FullPage = true });
    }

    /// <summary>What both trackers' visits must come to: three pages in one session of one visitor, from the campaign link.</summary>
    private static void AssertOneVisit(JsonElement stats, IPage page)
    {
        try
        {
            AssertOneVisit(stats);
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nfor {stats}\nthe page's log:\n{string.Join("\n", Chromium.Log(page))}");
        }
    }

    private static void AssertOneVisit(JsonElement stats)
    {
        Assert.Equal([("/docs", 1), ("/landing", 1), ("/pricing", 1)], Ranked(stats, "topPages").OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal([("/landing", 1)], Ranked(stats, "topEntryPages"));
        Assert.Equal([("spring", 1)], Ranked(stats, "topCampaigns"));
        Assert.Equal([("newsletter", 1)], Ranked(stats, "topSources"));
        Assert.Equal([(Channels.Email, 1)], Ranked(stats, "channels"));
        Assert.Equal((1, 1, 0.0, 0), (stats.GetProperty("visitors").GetInt64(), stats.GetProperty("sessions").GetInt64(),
            stats.GetProperty("bounceRate").GetDouble(), stats.GetProperty("botEvents").GetInt64()));
    }

    private static string OurTrackerPage(string pixel, string site, string title) => $$"""
        <!doctype html><html><head><title>{{WebUtility.HtmlEncode(title)}}</title>
        <script>window.clickstream=window.clickstream||function(){(clickstream.q=clickstream.q||[]).push(arguments)}</script>
        <script defer src="{{pixel}}/c.js" data-site="{{site}}"></script></head>
        <body><a id="next" href="/docs">Docs</a><p style="height:2000px">A page.</p></body></html>
        """;

    /// <summary>Runs <paramref name="action"/> and waits for the pixel's answer to the hit whose URL contains <paramref name="contains"/>.</summary>
    private static async Task Hit(IPage page, string contains, Func<Task> action)
    {
        var answered = page.WaitForResponseAsync(r => r.Url.Contains("/i?", StringComparison.Ordinal) && r.Url.Contains(contains, StringComparison.Ordinal),
            new PageWaitForResponseOptions { Timeout = 30_000 });
        await action();
        IResponse response;
        try
        {
            response = await answered;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"no answer to a hit with '{contains}'; the page's log:\n{string.Join("\n", Chromium.Log(page))}", e);
        }

        Assert.Equal(200, response.Status);
    }

    private async Task<JsonElement> CountedAsync(HttpClient consumer, string site, Func<JsonElement, bool> done)
    {
        JsonElement? stats = null;
        var counted = await TestEnvironment.EventuallyAsync(async () => (stats = await SiteAsync(consumer, site)) is { } s && done(s), Bounded);
        Assert.True(counted, $"site {site} not counted as expected within {Bounded}: {stats}");
        return stats!.Value;
    }

    private static async Task<JsonElement?> SiteAsync(HttpClient consumer, string site)
    {
        using var response = await consumer.GetAsync($"/api/stats?site={Uri.EscapeDataString(site)}");
        return response.StatusCode == HttpStatusCode.NotFound ? null : await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static long Pageviews(JsonElement sites, string site) =>
        sites.EnumerateArray().Where(s => s.GetProperty("site").GetString() == site).Select(s => s.GetProperty("pageviews").GetInt64()).FirstOrDefault();

    private static (long Pageviews, long Visitors, long Sessions, double BounceRate, long Events, long Bots) Figures(JsonElement s) =>
        (s.GetProperty("pageviews").GetInt64(), s.GetProperty("visitors").GetInt64(), s.GetProperty("sessions").GetInt64(),
            s.GetProperty("bounceRate").GetDouble(), s.GetProperty("events").GetInt64(), s.GetProperty("botEvents").GetInt64());

    private static List<(string Key, int Count)> Ranked(JsonElement s, string list) =>
        s.GetProperty(list).EnumerateArray().Select(r => (r.GetProperty("key").GetString()!, r.GetProperty("count").GetInt32())).ToList();

    private static string Base64Url(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// Headless Chromium (the Debian package, as the consumer's page test) that resolves <c>*.example.test</c> to
    /// 127.0.0.1, with a desktop Chrome user agent (HeadlessChrome is a bot by our table) and without the automation
    /// flag Playwright sets (<c>navigator.webdriver</c>, which our tracker reports as a bot), unless a page asks for it.
    /// </summary>
    private sealed class Chromium : IAsyncDisposable
    {
        private const string Executable = "/usr/bin/chromium";
        private readonly IPlaywright _playwright;
        private readonly IBrowser _browser;

        private Chromium(IPlaywright playwright, IBrowser browser) => (_playwright, _browser) = (playwright, browser);

        public static async Task<Chromium> LaunchAsync()
        {
            Assert.True(File.Exists(Executable), $"{Executable} is missing: test.sh installs it (apt-get install chromium)");
            var playwright = await Playwright.CreateAsync();
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Executable,
                Headless = true,
                Args = ["--no-sandbox", "--host-resolver-rules=MAP *.example.test 127.0.0.1", "--disable-blink-features=AutomationControlled",
                    "--disable-features=HttpsUpgrades,LocalNetworkAccessChecks",
                    // For the whole browser: a per-context override misses requests the browser sends after a page is gone (keepalive pings).
                    $"--user-agent={Chrome}"],
            });
            return new Chromium(playwright, browser);
        }

        /// <summary>A page in a fresh context (its own cookies); requests to <c>http://HOST/…</c> are answered with <paramref name="content"/> of the path.</summary>
        public async Task<IPage> NewPageAsync(string? host, Func<string, string>? content, bool javaScript = true, bool webdriver = false, ViewportSize? viewport = null)
        {
            var context = await _browser.NewContextAsync(new BrowserNewContextOptions
            {
                JavaScriptEnabled = javaScript,
                ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 800 },
            });
            if (webdriver)
            {
                await context.AddInitScriptAsync("Object.defineProperty(navigator, 'webdriver', { get: () => true })");
            }

            if (host is not null && content is not null)
            {
                await context.RouteAsync(url => new Uri(url) is { Scheme: "http", Port: 80 } u && u.Host == host, route =>
                {
                    var path = new Uri(route.Request.Url).AbsolutePath;
                    return route.FulfillAsync(new RouteFulfillOptions
                    {
                        Status = 200,
                        ContentType = path.EndsWith(".js", StringComparison.Ordinal) ? "application/javascript" : "text/html; charset=utf-8",
                        Body = content(path),
                    });
                });
            }

            var page = await context.NewPageAsync();
            var log = new List<string>();
            Logs.AddOrUpdate(page, log);
            page.Console += (_, m) => Add(log, $"console {m.Type}: {m.Text}");
            page.RequestFailed += (_, r) => Add(log, $"failed {r.Method} {r.Url}: {r.Failure}");
            page.Response += (_, r) => Add(log, $"{r.Status} {r.Request.Method} {r.Url}");
            return page;
        }

        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IPage, List<string>> Logs = [];

        /// <summary>What a page requested, what failed and what it logged, for a failure message.</summary>
        public static IReadOnlyList<string> Log(IPage page)
        {
            var log = Logs.TryGetValue(page, out var l) ? l : [];
            lock (log)
            {
                return [.. log];
            }
        }

        private static void Add(List<string> log, string line)
        {
            lock (log)
            {
                log.Add(line);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _browser.DisposeAsync();
            _playwright.Dispose();
        }
    }
}
