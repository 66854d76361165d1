using Clickstream.Contracts.Analytics;

namespace Clickstream.Contracts.Tests;

public sealed class EventModelTests
{
    private const string Chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

    private static AnalyticsEvent Read(string query, string? referer = "https://shop.example.com/", string? agent = Chrome) =>
        new AnalyticsEventReader().Read("/i?" + query, referer, agent);

    private static string Q(string value) => Uri.EscapeDataString(value);

    [Fact]
    public void A_page_view_carries_site_page_title_and_tracker_fields()
    {
        var e = Read($"e=pv&eid=0b4c6e2a-1&aid=shop&p=web&tv=cs-1&url={Q("https://www.shop.example.com/products/1?color=red#top")}"
            + $"&page={Q("Red shoes – Shop")}&refr={Q("https://www.google.com/")}&duid=d1&sid=s1&vid=2&dtm=1764662400000&tz={Q("Europe/Berlin")}"
            + "&lang=de-DE&res=1920x1080&vp=1280x720&cd=24");

        Assert.Equal(EventType.PageView, e.Type);
        Assert.Equal("shop", e.Site);
        Assert.Equal("www.shop.example.com", e.PageHost);
        Assert.Equal("/products/1", e.PagePath);
        Assert.Equal("Red shoes – Shop", e.PageTitle);
        Assert.Equal("https://www.google.com/", e.PageReferrer);
        Assert.Equal(("0b4c6e2a-1", "web", "cs-1", "d1", "s1", 2), (e.EventId, e.Platform, e.TrackerVersion, e.DomainUserId, e.SessionId, e.SessionIndex));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1764662400000), e.DeviceTime);
        Assert.Equal(("Europe/Berlin", "de-DE", "1920x1080", "1280x720"), (e.TimeZone, e.Language, e.Resolution, e.Viewport));
        Assert.Equal(("Google", Channels.OrganicSearch), (e.Source, e.Channel));
        Assert.Equal(("Chrome", "Windows", "Desktop"), (e.UserAgent.Browser, e.UserAgent.OperatingSystem, e.UserAgent.Device));
        Assert.False(e.IsBot);
        Assert.Equal(EventProblems.None, e.Problems);
    }

    [Fact]
    public void Without_aid_the_site_is_the_page_host_without_www()
    {
        Assert.Equal("blog.example.org", Read($"e=pv&url={Q("https://www.blog.example.org/a")}").Site);
    }

    [Fact]
    public void A_no_js_hit_takes_site_and_page_from_the_referer()
    {
        var e = Read("e=pv&aid=shop&tv=no-js", referer: "https://shop.example.com/checkout?step=2");
        Assert.Equal(("shop", "shop.example.com", "/checkout"), (e.Site, e.PageHost, e.PagePath));
        Assert.Equal(Sources.Direct, e.Source);

        var bare = new AnalyticsEventReader().Read("/i?param=testing", "https://www.news.example.net/today", Chrome);
        Assert.Equal((EventType.Hit, "news.example.net", "/today"), (bare.Type, bare.Site, bare.PagePath));

        var nothing = new AnalyticsEventReader().Read("/i", "-", "-");
        Assert.Equal(AnalyticsEvent.UnknownSite, nothing.Site);
        Assert.Null(nothing.PagePath);
    }

    [Fact]
    public void Utm_parameters_of_the_page_url_make_source_medium_campaign_term_and_content()
    {
        var url = "https://shop.example.com/?utm_source=newsletter&utm_medium=email&utm_campaign=black%20friday&utm_term=shoes&utm_content=hero+image";
        var e = Read($"e=pv&url={Q(url)}&refr={Q("https://mail.google.com/")}");
        Assert.Equal(("newsletter", "email", "black friday", "shoes", "hero image"), (e.Source, e.Medium, e.Campaign, e.Term, e.Content));
        Assert.Equal(Channels.Email, e.Channel);
        Assert.Equal("/", e.PagePath);
    }

    [Theory]
    [InlineData("utm_source=google&utm_medium=cpc&utm_campaign=c1", "Google", Channels.PaidSearch)]
    [InlineData("utm_source=facebook&utm_medium=paid_social", "Facebook", Channels.PaidSocial)]
    [InlineData("utm_source=fb&utm_medium=social", "Facebook", Channels.OrganicSocial)]
    [InlineData("utm_source=partner&utm_medium=affiliate", "partner", Channels.Affiliates)]
    [InlineData("utm_source=ads&utm_medium=display", "ads", Channels.Display)]
    [InlineData("utm_source=podcast&utm_medium=audio", "podcast", Channels.Unassigned)]
    [InlineData("gclid=abc", "Google", Channels.PaidSearch)]
    [InlineData("msclkid=abc", "Bing", Channels.PaidSearch)]
    [InlineData("utm_campaign=spring", "Direct", Channels.Referral)]
    public void Campaign_urls_map_to_sources_and_channels(string query, string source, string channel)
    {
        var e = Read($"e=pv&url={Q("https://shop.example.com/landing?" + query)}");
        Assert.Equal((source, channel), (e.Source, e.Channel));
    }

    [Theory]
    [InlineData("https://www.google.com/", "Google", Channels.OrganicSearch)]
    [InlineData("https://www.google.co.uk/search?q=x", "Google", Channels.OrganicSearch)]
    [InlineData("https://news.google.com/", "Google News", Channels.OrganicSearch)]
    [InlineData("https://mail.google.com/mail/u/0/", "Gmail", Channels.Email)]
    [InlineData("https://www.bing.com/search?q=x", "Bing", Channels.OrganicSearch)]
    [InlineData("https://duckduckgo.com/", "DuckDuckGo", Channels.OrganicSearch)]
    [InlineData("https://search.yahoo.com/", "Yahoo", Channels.OrganicSearch)]
    [InlineData("https://mail.yahoo.com/", "Yahoo Mail", Channels.Email)]
    [InlineData("https://yandex.ru/search", "Yandex", Channels.OrganicSearch)]
    [InlineData("https://www.baidu.com/", "Baidu", Channels.OrganicSearch)]
    [InlineData("https://www.ecosia.org/", "Ecosia", Channels.OrganicSearch)]
    [InlineData("https://l.facebook.com/", "Facebook", Channels.OrganicSocial)]
    [InlineData("https://m.facebook.com/", "Facebook", Channels.OrganicSocial)]
    [InlineData("https://l.instagram.com/", "Instagram", Channels.OrganicSocial)]
    [InlineData("https://t.co/abc", "X", Channels.OrganicSocial)]
    [InlineData("https://twitter.com/", "X", Channels.OrganicSocial)]
    [InlineData("https://www.linkedin.com/feed/", "LinkedIn", Channels.OrganicSocial)]
    [InlineData("https://out.reddit.com/", "Reddit", Channels.OrganicSocial)]
    [InlineData("https://www.youtube.com/", "YouTube", Channels.OrganicVideo)]
    [InlineData("https://www.tiktok.com/", "TikTok", Channels.OrganicSocial)]
    [InlineData("https://www.pinterest.de/", "Pinterest", Channels.OrganicSocial)]
    [InlineData("https://github.com/org/repo", "GitHub", Channels.Referral)]
    [InlineData("https://news.ycombinator.com/item?id=1", "Hacker News", Channels.OrganicSocial)]
    [InlineData("https://outlook.live.com/", "Outlook", Channels.Email)]
    [InlineData("https://webmail.example-isp.net/", "Webmail", Channels.Email)]
    [InlineData("https://www.some-blog.example/post", "some-blog.example", Channels.Referral)]
    [InlineData("https://googleusercontent.example.com/", "googleusercontent.example.com", Channels.Referral)]
    public void Referrers_map_through_the_source_table(string referrer, string source, string channel)
    {
        var e = Read($"e=pv&aid=shop&url={Q("https://shop.example.com/")}&refr={Q(referrer)}");
        Assert.Equal((source, channel), (e.Source, e.Channel));
    }

    [Fact]
    public void A_same_site_referrer_is_no_source_and_no_referrer_is_direct()
    {
        var inside = Read($"e=pv&url={Q("https://shop.example.com/b")}&refr={Q("https://www.shop.example.com/a")}");
        Assert.Null(inside.Source);
        Assert.Null(inside.Channel);

        var direct = Read($"e=pv&url={Q("https://shop.example.com/b")}");
        Assert.Equal((Sources.Direct, Channels.Direct), (direct.Source, direct.Channel));
    }

    [Fact]
    public void Self_describing_events_are_decoded_from_ue_px_and_ue_pr()
    {
        const string ours = """{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"iglu:io.clickstream/event/jsonschema/1-0-0","data":{"name":"signup","props":{"plan":"pro"}}}}""";
        var px = Read($"e=ue&aid=shop&ue_px={UrlEncoding.EncodeBase64Url(ours)}");
        Assert.Equal((EventType.SelfDescribing, "signup", """{"plan":"pro"}"""), (px.Type, px.CustomEventName, px.CustomEventData));
        Assert.Equal(EventProblems.None, px.Problems);

        const string theirs = """{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"iglu:com.acme/add_to_cart/jsonschema/1-0-0","data":{"sku":"é-1"}}}""";
        var pr = Read($"e=ue&aid=shop&ue_pr={Q(theirs)}");
        Assert.Equal(("add_to_cart", """{"sku":"é-1"}"""), (pr.CustomEventName, pr.CustomEventData));
        Assert.True(UrlEncoding.TryDecodeBase64Url(UrlEncoding.EncodeBase64Url(theirs), out var back));
        Assert.Equal(theirs, back);
    }

    [Fact]
    public void Structured_events_are_named_category_slash_action()
    {
        var e = Read("e=se&aid=shop&se_ca=video&se_ac=play&se_la=intro&se_pr=hd&se_va=12.5");
        Assert.Equal((EventType.Structured, "video/play", "intro", "hd", 12.5), (e.Type, e.CustomEventName, e.StructLabel, e.StructProperty, e.StructValue));
    }

    [Fact]
    public void Page_pings_carry_engaged_time_and_scroll_depth()
    {
        var e = Read("e=pp&aid=shop&et=15000&pp_mix=0&pp_maxx=0&pp_miy=0&pp_maxy=2400");
        Assert.Equal((EventType.PagePing, 15000L, 2400), (e.Type, e.EngagedMs, e.PingMaxY));
    }

    [Theory]
    [InlineData("e=pv&aid=shop&page=50%zz", EventProblems.InvalidPercentEncoding)]
    [InlineData("e=pv&aid=shop&page=%C3%28", EventProblems.InvalidPercentEncoding)]
    [InlineData("e=pv&aid=shop&page=%E", EventProblems.InvalidPercentEncoding)]
    [InlineData("e=pv&aid=shop&url=not%20a%20url", EventProblems.InvalidUrl)]
    [InlineData("e=pv&aid=shop&url=javascript%3Aalert(1)", EventProblems.InvalidUrl)]
    [InlineData("e=pv&aid=shop&refr=%2F%2Fno-scheme", EventProblems.InvalidUrl)]
    [InlineData("e=zz&aid=shop", EventProblems.UnknownEventType)]
    [InlineData("e=ue&aid=shop&ue_px=!!!not-base64", EventProblems.MalformedSelfDescribing)]
    [InlineData("e=ue&aid=shop&ue_px=eyJub3QiOiJ3cmFwcGVkIn0", EventProblems.MalformedSelfDescribing)]
    [InlineData("e=ue&aid=shop&ue_pr=%7B%22schema%22%3A", EventProblems.MalformedSelfDescribing)]
    [InlineData("e=ue&aid=shop", EventProblems.MalformedSelfDescribing)]
    [InlineData("e=pv&aid=sh%01op", EventProblems.InvalidSiteId)]
    [InlineData("e=pv&aid=shop&vid=x&dtm=-1", EventProblems.InvalidNumber)]
    public void Bad_input_gets_a_reason_and_the_hit_still_counts(string query, EventProblems expected)
    {
        var e = Read(query);
        Assert.Equal(expected, e.Problems);
        Assert.NotNull(e.Site);
    }

    [Fact]
    public void A_reader_decodes_repeated_values_alike_each_time()
    {
        // The reader keeps decoded values by their raw text: the second hit must read exactly as the first.
        var reader = new AnalyticsEventReader();
        var query = $"/i?e=pv&aid=shop&page=50%25+off%zz&url={Q("https://shop.example.com/sale?utm_campaign=spring")}&eid=";
        for (var i = 0; i < 3; i++)
        {
            var e = reader.Read(query + i, null, Chrome);
            Assert.Equal(("shop", "50%25+off%zz", "/sale", "spring", i.ToString(System.Globalization.CultureInfo.InvariantCulture), EventProblems.InvalidPercentEncoding),
                (e.Site, e.PageTitle, e.PagePath, e.Campaign, e.EventId, e.Problems));
        }

        var fine = reader.Read("/i?e=pv&aid=shop&page=50%25+off", null, Chrome);
        Assert.Equal(("50% off", EventProblems.None), (fine.PageTitle, fine.Problems));
    }

    [Fact]
    public void Control_characters_in_aid_fall_back_to_the_page_host()
    {
        var e = Read($"e=pv&aid=a%0Ab&url={Q("https://shop.example.com/")}");
        Assert.Equal(("shop.example.com", EventProblems.InvalidSiteId), (e.Site, e.Problems));
    }

    [Fact]
    public void Huge_queries_and_ue_px_are_cut_not_fatal()
    {
        var big = Read("e=pv&aid=shop&page=" + new string('a', 1000) + "&x=" + new string('b', 9000) + "&tv=late");
        Assert.True(big.Problems.HasFlag(EventProblems.QueryTooLong));
        Assert.Equal("shop", big.Site);
        Assert.Null(big.TrackerVersion); // beyond the cut
        Assert.Equal(TrackerProtocol.MaxValueLength, big.PageTitle!.Length);

        var hugeUe = Read("e=ue&aid=shop&ue_px=" + new string('A', 7000));
        Assert.Equal(EventProblems.SelfDescribingTooLarge, hugeUe.Problems);

        var deep = Read("e=ue&aid=shop&ue_pr=" + Q(new string('[', 100) + new string(']', 100)));
        Assert.Equal(EventProblems.MalformedSelfDescribing, deep.Problems);
    }

    [Fact]
    public void Bots_are_flagged_by_agent_and_by_the_webdriver_flag()
    {
        Assert.True(Read("e=pv&aid=shop", agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36").IsBot);
        Assert.True(Read("e=pv&aid=shop&wd=1").IsBot);
        Assert.False(Read("e=pv&aid=shop").IsBot);
    }

    [Fact]
    public void Percent_decoding_keeps_utf8_and_plus_as_space()
    {
        Assert.True(UrlEncoding.TryDecode("caf%C3%A9+au+lait", out var v));
        Assert.Equal("café au lait", v);
        Assert.True(UrlEncoding.TryDecode("déjà", out var raw));
        Assert.Equal("déjà", raw);
        Assert.False(UrlEncoding.TryDecode("%FF", out var bad));
        Assert.Equal("%FF", bad);
    }

    [Fact]
    public void Base64url_decodes_with_and_without_padding_and_rejects_garbage()
    {
        Assert.True(UrlEncoding.TryDecodeBase64Url("eyJhIjoiPz8_In0", out var text));
        Assert.Equal("""{"a":"???"}""", text);
        Assert.True(UrlEncoding.TryDecodeBase64Url("YQ==", out var padded));
        Assert.Equal("a", padded);
        Assert.False(UrlEncoding.TryDecodeBase64Url("Y", out _));
        Assert.False(UrlEncoding.TryDecodeBase64Url("__8", out _)); // 0xFF 0xFF: not UTF-8
    }

    [Theory]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome", "Windows", "Desktop", false)]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91", "Edge", "Windows", "Desktop", false)]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "Safari", "iOS", "Phone", false)]
    [InlineData("Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "Safari", "iOS", "Tablet", false)]
    [InlineData("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36", "Chrome", "Android", "Phone", false)]
    [InlineData("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome", "Android", "Tablet", false)]
    [InlineData("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:120.0) Gecko/20100101 Firefox/120.0", "Firefox", "macOS", "Desktop", false)]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/105.0.0.0", "Opera", "Linux", "Desktop", false)]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36", "Chrome", "Linux", "Bot", true)]
    [InlineData("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Other", "Other", "Bot", true)]
    [InlineData("curl/7.58.0", "curl", "Other", "Bot", true)]
    [InlineData("-", "Unknown", "Unknown", "Unknown", false)]
    public void User_agents_are_classified_by_the_table(string agent, string browser, string os, string device, bool bot)
    {
        Assert.Equal(new UserAgentInfo(browser, os, device, bot), UserAgentParser.Parse(agent));
    }
}
