using System.Text.RegularExpressions;
using Clickstream.Contracts.Nginx;

namespace Clickstream.Contracts.Tests;

public sealed class NginxConfigTests
{
    private static readonly string Template = NginxConfig.Template;

    [Fact]
    public void The_template_writes_the_contract_fields_in_their_order()
    {
        var format = Regex.Match(Template, @"log_format pixel escape=json '(?<line>[^']*)';").Groups["line"].Value;
        var names = Regex.Matches(format, @"""(?<name>[a-z]+)"":").Select(m => m.Groups["name"].Value);

        Assert.Equal(AccessLogFields.All, names);
    }

    [Fact]
    public void Render_fills_every_placeholder()
    {
        var config = NginxConfig.Render(Template, new NginxPixelSettings("/tmp/p", 8088, "/data/logs/access.log", TrustedProxies: ["10.0.0.0/8"], TruncateClientIp: true));

        Assert.DoesNotContain("{{", config);
        Assert.Contains("listen 127.0.0.1:8088 default_server;", config);
        Assert.Contains("access_log /data/logs/access.log pixel", config);
        Assert.Contains("set_real_ip_from 10.0.0.0/8;", config);
        Assert.Contains("$pixel_v4.0", config);
        Assert.Contains("uid=$request_id; max-age=31536000; path=/", config);
    }

    [Theory]
    [InlineData("/tmp/with space", "uid")]
    [InlineData("/tmp/x;evil", "uid")]
    [InlineData("/tmp/p", "uid; path")]
    [InlineData("/tmp/p", "")]
    public void Render_refuses_values_that_would_change_the_configuration(string prefix, string cookie) =>
        Assert.ThrowsAny<ArgumentException>(() => NginxConfig.Render(Template, new NginxPixelSettings(prefix, 8088, "/tmp/p/access.log", CookieName: cookie)));

    [Fact]
    public void Render_refuses_an_unknown_placeholder() =>
        Assert.Throws<FormatException>(() => NginxConfig.Render("x {{nope}} y", new NginxPixelSettings("/tmp/p", 1, "/tmp/a.log")));

    [Fact]
    public void Arguments_run_nginx_in_the_foreground_with_its_own_prefix() =>
        Assert.Equal(["-p", "/tmp/p", "-c", "/tmp/p/nginx.conf", "-g", "daemon off;"], NginxConfig.Arguments("/tmp/p", "/tmp/p/nginx.conf"));
}
