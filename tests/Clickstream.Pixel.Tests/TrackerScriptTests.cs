using Clickstream.Pixel.Hits;
using Clickstream.Contracts.Nginx;
using Clickstream.Tests;
using static Clickstream.Pixel.Tests.RawHttp;

namespace Clickstream.Pixel.Tests;

/// <summary>The tracker script at <c>/c.js</c>: the same bytes from Kestrel and nginx, within its size budget, never logged.</summary>
public sealed class TrackerScriptTests(PixelPair pair) : IClassFixture<PixelPair>
{
    private static readonly byte[] Source = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, NginxConfig.TrackerScriptFile));

    [Fact]
    public async Task Both_servers_send_the_script_as_written_within_2000_bytes()
    {
        foreach (var port in new[] { pair.KestrelPort, pair.NginxPort })
        {
            var response = await SendAsync(port, Request("GET", TrackerScript.Path));
            Assert.NotNull(response);
            Assert.Equal(200, response.Status);
            Assert.Equal(Source, response.Body);
            Assert.InRange(response.Body.Length, 500, TrackerScript.MaxBytes);
            Assert.Equal(TrackerScript.ContentType, response.Header("Content-Type"));
            Assert.Equal(TrackerScript.CacheControl, response.Header("Cache-Control"));
            Assert.Null(response.Header("Set-Cookie"));
        }

        Assert.Equal(Source, TrackerScript.Bytes);
    }

    [Fact]
    public async Task Fetching_the_script_is_not_a_hit()
    {
        foreach (var (port, log) in new[] { (pair.KestrelPort, pair.KestrelLog), (pair.NginxPort, pair.NginxLog) })
        {
            var before = LogLines.Read(log).Count;
            Assert.Equal(200, (await SendAsync(port, Request("GET", TrackerScript.Path)))!.Status);
            Assert.Equal(405, (await SendAsync(port, Request("POST", TrackerScript.Path, ("Content-Length", "0"))))!.Status);
            Assert.Equal(200, (await SendAsync(port, Request("GET", "/i?after=script")))!.Status);
            List<byte[]> lines = [];
            Assert.True(await TestEnvironment.EventuallyAsync(() => (lines = LogLines.Read(log)).Count > before, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20)));
            Assert.Equal("/i?after=script", LogLines.Parse(lines[before]).Single(f => f.Key == "path").Value);
        }
    }

    [Fact]
    public void The_nginx_renderer_refuses_a_script_it_cannot_quote()
    {
        var template = NginxConfig.Template;
        Assert.Throws<ArgumentException>(() => NginxConfig.Render(template, new NginxPixelSettings("/tmp/p", 8088, "/tmp/p/access.log", TrackerScript: "var a=$x;")));
        var quoted = NginxConfig.Render(template, new NginxPixelSettings("/tmp/p", 8088, "/tmp/p/access.log", TrackerScript: @"a='b\c'"));
        Assert.Contains(@"return 200 'a=\'b\\c\'';", quoted, StringComparison.Ordinal);
    }
}
