using System.Text.RegularExpressions;
using Clickstream.Contracts;
using Clickstream.Pixel.AccessLog;
using static Clickstream.Pixel.Tests.RawHttp;

namespace Clickstream.Pixel.Tests;

/// <summary>
/// The same request bytes to real nginx (rendered template) and the Kestrel pixel: the same status, headers, body and
/// log line field by field; time and generated ids are compared by shape. Where the two differ by design, the test
/// says so (see the template's header).
/// </summary>
public sealed partial class NginxContractTests(PixelPair pair) : IClassFixture<PixelPair>
{
    private const string Id = "0123456789abcdef0123456789abcdef";
    private const string Agent = "Mozilla/5.0 (X11; Linux x86_64) contract";

    [Theory]
    [InlineData("GET", "/i?param=testing")]
    [InlineData("GET", "/i.gif?a=1&b=%22x%22")]
    [InlineData("HEAD", "/i")]
    public async Task A_new_visitor_gets_the_same_gif_headers_cookie_and_line(string method, string target)
    {
        var (ours, nginx) = await pair.ExchangeAsync(Request(method, target, ("User-Agent", Agent), ("Referer", "https://shop.example/p?x=1")));

        SameAnswer(ours, nginx, body: true);
        Assert.Equal(200, ours.Response.Status);
        Assert.Matches("^uid=[0-9a-f]{32}; max-age=31536000; path=/; httponly$", ours.Response.Header("Set-Cookie"));
        Assert.Equal(method == "GET" ? PixelEndpointsGif : [], ours.Response.Body);
        SameLine(ours, nginx);
        Assert.Equal(target, ours[AccessLogFields.Path]);
        Assert.Equal(method == "GET" ? "43" : "0", ours[AccessLogFields.Size]);
    }

    [Fact]
    public async Task A_valid_cookie_is_kept_and_a_malformed_one_replaced_alike()
    {
        var (keptOurs, keptNginx) = await pair.ExchangeAsync(Request("GET", "/i", ("Cookie", $"other=1; uid={Id}")));
        SameAnswer(keptOurs, keptNginx, body: true);
        Assert.Null(keptOurs.Response.Header("Set-Cookie"));
        SameLine(keptOurs, keptNginx);
        Assert.Equal(Id, keptNginx[AccessLogFields.Cookie]);

        var (newOurs, newNginx) = await pair.ExchangeAsync(Request("GET", "/i", ("Cookie", "uid=" + Id.ToUpperInvariant())));
        SameAnswer(newOurs, newNginx, body: true);
        Assert.NotNull(newNginx.Response.Header("Set-Cookie"));
        SameLine(newOurs, newNginx);
    }

    [Theory]
    [InlineData("DNT", "1")]
    [InlineData("Sec-GPC", "1")]
    public async Task A_privacy_signal_sets_no_cookie_and_logs_a_dash(string header, string value)
    {
        var (ours, nginx) = await pair.ExchangeAsync(Request("GET", "/i", (header, value), ("Cookie", $"uid={Id}")));

        SameAnswer(ours, nginx, body: true);
        Assert.Null(ours.Response.Header("Set-Cookie"));
        SameLine(ours, nginx);
        Assert.Equal("-", ours[AccessLogFields.Cookie]);
    }

    [Fact]
    public async Task Cors_echoes_the_origin_with_credentials_and_answers_the_preflight()
    {
        var (ours, nginx) = await pair.ExchangeAsync(Request("GET", "/i", ("Origin", "https://shop.example")));
        SameAnswer(ours, nginx, body: true);
        Assert.Equal("https://shop.example", ours.Response.Header("Access-Control-Allow-Origin"));
        Assert.Equal("true", ours.Response.Header("Access-Control-Allow-Credentials"));
        SameLine(ours, nginx);

        var (preOurs, preNginx) = await pair.ExchangeAsync(Request("OPTIONS", "/i", ("Origin", "https://shop.example"), ("Access-Control-Request-Method", "GET")));
        SameAnswer(preOurs, preNginx, body: true);
        Assert.Equal(204, preOurs.Response.Status);
        Assert.Equal("GET, HEAD, OPTIONS", preOurs.Response.Header("Access-Control-Allow-Methods"));
        SameLine(preOurs, preNginx);
    }

    [Theory]
    [InlineData("GET", "/favicon.ico", 404)]
    [InlineData("GET", "/i/", 404)]
    [InlineData("POST", "/i", 405)]
    public async Task Other_paths_and_methods_are_refused_and_logged_alike(string method, string target, int status)
    {
        var (ours, nginx) = await pair.ExchangeAsync(Request(method, target, ("Content-Length", "0"), ("Cookie", $"uid={Id}")));

        Assert.Equal(status, ours.Response.Status);
        Assert.Equal(status, nginx.Response.Status);
        // nginx answers errors with its HTML page, the Kestrel pixel with an empty body: only "size" differs.
        SameLine(ours, nginx, "size");
        Assert.Null(nginx.Response.Header("Set-Cookie"));
        Assert.Null(ours.Response.Header("Set-Cookie"));
    }

    [Fact]
    public async Task An_oversized_url_is_414_and_still_logged()
    {
        var target = "/i?q=" + new string('a', 9000);
        var (ours, nginx) = await pair.ExchangeAsync(Request("GET", target, ("User-Agent", Agent)));

        Assert.Equal(414, ours.Response.Status);
        Assert.Equal(414, nginx.Response.Status);
        Assert.Equal("414", ours[AccessLogFields.Code]);
        Assert.Equal("414", nginx[AccessLogFields.Code]);
        // nginx rejects while reading the request line, so it knows neither method, path nor headers.
        Assert.Equal(["-", "-", "-", "-"], [nginx[AccessLogFields.Method], nginx[AccessLogFields.Path], nginx[AccessLogFields.Agent], nginx[AccessLogFields.Host]]);
        Assert.Equal(target, ours[AccessLogFields.Path]);
    }

    [Fact]
    public async Task A_16_KiB_header_is_400_and_still_logged()
    {
        var (ours, nginx) = await pair.ExchangeAsync(Request("GET", "/i?big", ("X-Big", new string('b', 16 * 1024)), ("User-Agent", Agent)));

        Assert.Equal(400, ours.Response.Status);
        Assert.Equal(400, nginx.Response.Status);
        Assert.Equal("400", ours[AccessLogFields.Code]);
        Assert.Equal("400", nginx[AccessLogFields.Code]);
        Assert.Equal("/i?big", nginx[AccessLogFields.Path]);
        Assert.Equal("/i?big", ours[AccessLogFields.Path]);
    }

    [Fact]
    public async Task A_malformed_request_line_is_400_and_still_logged()
    {
        // Kestrel rejects it before any middleware runs: the line comes from its BadRequest diagnostic event.
        var (ours, nginx) = await pair.ExchangeAsync(System.Text.Encoding.Latin1.GetBytes("G\u0001T /i HTTP/1.1\r\nHost: pixel.test\r\nConnection: close\r\n\r\n"));

        Assert.Equal(400, ours.Response.Status);
        Assert.Equal(400, nginx.Response.Status);
        Assert.Equal("400", ours[AccessLogFields.Code]);
        Assert.Equal("400", nginx[AccessLogFields.Code]);
        Assert.Equal("-", ours[AccessLogFields.Cookie]);
        Assert.Equal("-", nginx[AccessLogFields.Cookie]);
    }

    [Theory]
    [InlineData("quote \" backslash \\ tab \t control \u0001\u001f del \u007f")]
    [InlineData("utf-8 \u00c3\u00a9\u00e4\u00b8\u00ad")]
    [InlineData("invalid utf-8 \u00ff\u00fe end")]
    [InlineData("json \"},{\"code\":\"500\" injection")]
    public async Task Hostile_header_bytes_are_escaped_byte_for_byte_alike(string bytes)
    {
        var (ours, nginx) = await pair.ExchangeAsync(Request("GET", "/i?q=%22%0A%00", ("User-Agent", bytes), ("Referer", bytes)));

        SameAnswer(ours, nginx, body: true);
        SameLine(ours, nginx);
        Assert.NotEqual("-", ours[AccessLogFields.Agent]);
    }

    [Fact]
    public async Task X_forwarded_for_from_an_untrusted_peer_is_ignored()
    {
        var (ours, nginx) = await pair.ExchangeAsync(Request("GET", "/i", ("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "https")));

        SameAnswer(ours, nginx, body: true);
        SameLine(ours, nginx);
        Assert.Equal("127.0.0.1", ours[AccessLogFields.Remote]);
        Assert.DoesNotContain("secure", ours.Response.Header("Set-Cookie"));
    }

    internal static byte[] PixelEndpointsGif => Microsoft.AspNetCore.Builder.PixelEndpoints.Gif.ToArray();

    internal static void SameAnswer(Exchange ours, Exchange nginx, bool body)
    {
        Assert.Equal(nginx.Response.Status, ours.Response.Status);
        Assert.Equal(Comparable(nginx.Response), Comparable(ours.Response));
        if (body)
        {
            Assert.Equal(nginx.Response.Body, ours.Response.Body);
        }
    }

    /// <summary>Equal field by field, except time and generated ids (compared by shape) and <paramref name="except"/>.</summary>
    internal static void SameLine(Exchange ours, Exchange nginx, params string[] except)
    {
        foreach (var field in AccessLogEntry.FieldNames.Except(except))
        {
            switch (field)
            {
                case AccessLogFields.Time:
                    Assert.Matches(TimeShape(), ours[field]);
                    Assert.Matches(TimeShape(), nginx[field]);
                    Assert.InRange(DateTimeOffset.Parse(ours[field]) - DateTimeOffset.Parse(nginx[field]), TimeSpan.FromSeconds(-5), TimeSpan.FromSeconds(5));
                    break;
                case AccessLogFields.TraceParent:
                    Assert.Matches(TraceShape(), ours[field]);
                    Assert.Matches(TraceShape(), nginx[field]);
                    break;
                case "cookie" when IssuedId(ours.Response) is { } issued:
                    Assert.Equal(issued, ours[field]);
                    Assert.Equal(IssuedId(nginx.Response), nginx[field]);
                    break;
                default:
                    Assert.True(ours[field] == nginx[field], $"{field}: ours '{ours[field]}', nginx '{nginx[field]}'");
                    break;
            }
        }
    }

    private static string? IssuedId(Response response) =>
        response.Header("Set-Cookie") is { } cookie ? cookie[4..36] : null;

    private static string[] Comparable(Response response) =>
    [
        .. response.Headers
            .Where(h => h.Key.ToLowerInvariant() is not ("date" or "server" or "connection" or "keep-alive"))
            .Select(h => $"{h.Key.ToLowerInvariant()}: {IdPattern().Replace(h.Value, "<id>")}")
            .Order(StringComparer.Ordinal),
    ];

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")]
    private static partial Regex TimeShape();

    [GeneratedRegex("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$")]
    private static partial Regex TraceShape();

    [GeneratedRegex("[0-9a-f]{32}")]
    private static partial Regex IdPattern();
}
