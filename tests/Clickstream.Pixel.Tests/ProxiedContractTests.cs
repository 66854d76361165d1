using Clickstream.Contracts;
using static Clickstream.Pixel.Tests.NginxContractTests;
using static Clickstream.Pixel.Tests.RawHttp;

namespace Clickstream.Pixel.Tests;

/// <summary>Both servers trusting 127.0.0.1 as a proxy, truncating addresses, echoing only https://shop.example.</summary>
public sealed class ProxiedContractTests(ProxiedPixelPair pair) : IClassFixture<ProxiedPixelPair>
{
    [Theory]
    [InlineData("198.51.100.77", "198.51.100.0")]
    [InlineData("10.1.1.1, 198.51.100.77", "198.51.100.0")]
    [InlineData("2001:db8:abcd:12::1", "2001:db8:abcd::")]
    [InlineData("2001:db8:0:12::1", "2001:db8::")]
    [InlineData("2001:0:0:12::1", "2001::")]
    [InlineData("not-an-address", "127.0.0.0")]
    [InlineData("1.2.3", "127.0.0.0")]
    public async Task The_forwarded_client_of_a_trusted_proxy_is_logged_truncated(string forwardedFor, string logged)
    {
        var (ours, nginx) = await pair.ExchangeAsync(Request("GET", "/i", ("X-Forwarded-For", forwardedFor)));

        SameAnswer(ours, nginx, body: true);
        SameLine(ours, nginx);
        Assert.Equal(logged, ours[AccessLogFields.Remote]);
    }

    [Theory]
    [InlineData("https", true)]
    [InlineData("HTTPS", true)]
    [InlineData("http", false)]
    [InlineData("https, http", false)]
    public async Task Https_at_a_trusted_proxy_makes_the_cookie_samesite_none_and_secure(string proto, bool secure)
    {
        var (ours, nginx) = await pair.ExchangeAsync(Request("GET", "/i", ("X-Forwarded-Proto", proto)));

        SameAnswer(ours, nginx, body: true);
        SameLine(ours, nginx);
        var expected = secure ? "; max-age=31536000; path=/; secure; samesite=none; httponly" : "; max-age=31536000; path=/; httponly";
        Assert.EndsWith(expected, ours.Response.Header("Set-Cookie"));
    }

    [Theory]
    [InlineData("https://shop.example", true)]
    [InlineData("https://evil.example", false)]
    public async Task Only_a_configured_origin_is_echoed(string origin, bool echoed)
    {
        var (ours, nginx) = await pair.ExchangeAsync(Request("GET", "/i", ("Origin", origin)));

        SameAnswer(ours, nginx, body: true);
        SameLine(ours, nginx);
        Assert.Equal(echoed ? origin : null, ours.Response.Header("Access-Control-Allow-Origin"));
    }
}
