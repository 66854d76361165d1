using System.Net;
using System.Text.Json;
using Clickstream.Contracts;
using Clickstream.Pixel.AccessLog;
using Microsoft.AspNetCore.Builder;

namespace Clickstream.Pixel.Tests;

public sealed class PixelEndpointTests : IDisposable
{
    private readonly PixelFactory _pixel = new();

    [Fact]
    public async Task A_hit_answers_the_43_byte_gif_with_no_cache_headers_and_a_new_visitor_cookie()
    {
        using var client = _pixel.CreateClient();
        using var response = await client.GetAsync("/i?param=testing");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(43, body.Length);
        Assert.Equal(PixelEndpoints.Gif.ToArray(), body);
        Assert.Equal("GIF89a"u8.ToArray(), body[..6]);
        Assert.Equal("image/gif", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache, no-store, must-revalidate", response.Headers.NonValidated["Cache-Control"].ToString());
        Assert.Contains("no-cache", response.Headers.Pragma.ToString());
        Assert.Equal("0", response.Content.Headers.GetValues("Expires").Single());

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.Matches("^uid=[0-9a-f]{32}; max-age=31536000; path=/; httponly$", cookie);
    }

    [Fact]
    public async Task The_hit_is_logged_as_one_json_line_with_the_eleven_seed_fields_and_traceparent()
    {
        using var client = _pixel.CreateClient();
        using var response = await client.GetAsync("/i?param=testing");
        var visitor = response.Headers.GetValues("Set-Cookie").Single()[4..36];

        var line = Assert.Single(await _pixel.WaitForLinesAsync(1));
        using var json = JsonDocument.Parse(line);
        var fields = json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.Equal(AccessLogEntry.FieldNames, fields.Keys);
        Assert.Equal("GET", fields[AccessLogFields.Method]);
        Assert.Equal("/i?param=testing", fields[AccessLogFields.Path]);
        Assert.Equal("200", fields[AccessLogFields.Code]);
        Assert.Equal("43", fields[AccessLogFields.Size]);
        Assert.Equal("-", fields[AccessLogFields.User]);
        Assert.Equal("-", fields[AccessLogFields.Referer]);
        Assert.Equal(visitor, fields[AccessLogFields.Cookie]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$", fields[AccessLogFields.Time]);
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", fields[AccessLogFields.TraceParent]);
    }

    [Fact]
    public async Task A_valid_visitor_cookie_is_kept_and_a_malformed_one_replaced()
    {
        using var client = _pixel.CreateClient(new() { HandleCookies = false });
        const string known = "0123456789abcdef0123456789abcdef";

        using var keep = new HttpRequestMessage(HttpMethod.Get, "/i");
        keep.Headers.Add("Cookie", $"uid={known}");
        using var kept = await client.SendAsync(keep);
        Assert.False(kept.Headers.Contains("Set-Cookie"));

        using var replace = new HttpRequestMessage(HttpMethod.Get, "/i");
        replace.Headers.Add("Cookie", "uid=not-a-visitor-id\"");
        using var replaced = await client.SendAsync(replace);
        var fresh = replaced.Headers.GetValues("Set-Cookie").Single()[4..36];
        Assert.NotEqual(known, fresh);

        var lines = await _pixel.WaitForLinesAsync(2);
        Assert.Equal([known, fresh], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty(AccessLogFields.Cookie).GetString()));
    }

    [Fact]
    public async Task Head_answers_headers_only_and_logs_size_zero()
    {
        using var client = _pixel.CreateClient();
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/i.gif"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());

        var line = Assert.Single(await _pixel.WaitForLinesAsync(1));
        Assert.Equal("0", JsonDocument.Parse(line).RootElement.GetProperty(AccessLogFields.Size).GetString());
    }

    [Fact]
    public async Task A_hostile_user_agent_and_path_cannot_break_or_inject_a_line()
    {
        using var client = _pixel.CreateClient();
        const string agent = "evil\"},{\"code\":\"500\\ \u0001\t";
        using var request = new HttpRequestMessage(HttpMethod.Get, "/i?q=%22%0A");
        request.Headers.TryAddWithoutValidation("User-Agent", agent);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var line = Assert.Single(await _pixel.WaitForLinesAsync(1));
        var root = JsonDocument.Parse(line).RootElement;
        Assert.Equal(12, root.EnumerateObject().Count());
        Assert.Equal(agent, root.GetProperty(AccessLogFields.Agent).GetString());
        Assert.Equal("/i?q=%22%0A", root.GetProperty(AccessLogFields.Path).GetString());
        Assert.Equal("200", root.GetProperty(AccessLogFields.Code).GetString());
    }

    [Fact]
    public async Task Other_paths_are_not_found()
    {
        using var client = _pixel.CreateClient();
        using var response = await client.GetAsync("/favicon.ico");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    public void Dispose() => _pixel.Dispose();
}
