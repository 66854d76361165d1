using System.Buffers;
using System.Diagnostics;
using Clickstream.Contracts;
using Clickstream.Pixel.AccessLog;
using Clickstream.Pixel.Hits;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Microsoft.AspNetCore.Builder;

public static class PixelEndpoints
{
    /// <summary>The 43-byte transparent GIF that nginx's <c>empty_gif</c> serves.</summary>
    public static ReadOnlySpan<byte> Gif =>
    [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00,
        0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x01, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x4c, 0x01, 0x00, 0x3b,
    ];

    /// <summary>
    /// The pixel as one middleware in front of routing: <c>/i</c>, <c>/i.gif</c>, 404, 405, 414 and 400 are answered
    /// and logged here without the cost of endpoint routing; <c>/health</c>, <c>/alive</c> and <c>/stats</c> go on to
    /// the endpoints and are not logged (probes would drown the hits).
    /// </summary>
    public static WebApplication UsePixel(this WebApplication app)
    {
        app.UseMiddleware<PixelMiddleware>();
        app.UseRouting();
        return app;
    }

    /// <summary><c>GET /stats</c>: <see cref="PixelStats"/> since start.</summary>
    public static IEndpointRouteBuilder MapPixelStats(this IEndpointRouteBuilder app)
    {
        app.MapGet(StageStats.Path, (AccessLogWriter log) => log.Stats);
        return app;
    }
}

internal sealed class PixelMiddleware
{
    private static readonly byte[] GifBytes = PixelEndpoints.Gif.ToArray();
    private static readonly StringValues ImageGif = "image/gif";
    private static readonly StringValues NoCache = "no-cache, no-store, must-revalidate";
    private static readonly StringValues PragmaNoCache = "no-cache";
    private static readonly StringValues ExpiresZero = "0";
    private static readonly StringValues True = "true";
    private static readonly StringValues Origin = "Origin";
    private static readonly StringValues PreflightMethods = "GET, HEAD, OPTIONS";
    private static readonly StringValues PreflightMaxAge = "86400";

    private readonly RequestDelegate _next;
    private readonly AccessLogWriter _log;
    private readonly PixelOptions _options;
    private readonly ClientAddress _client;
    private readonly AccessLogClock _clock;
    private readonly string _cookiePrefix;
    private readonly string _cookieSuffix;
    private readonly string _cookieSuffixSecure;
    private readonly HashSet<string>? _allowedOrigins;

    public PixelMiddleware(RequestDelegate next, AccessLogWriter log, AccessLogClock clock, IOptions<PixelOptions> options)
    {
        _next = next;
        _log = log;
        _options = options.Value;
        _client = new ClientAddress(_options);
        _clock = clock;
        _cookiePrefix = _options.CookieName + "=";
        // The attribute order and spelling of ASP.NET Core's SetCookieHeaderValue; the nginx template writes the same.
        var maxAge = (long)_options.CookieMaxAge.TotalSeconds;
        _cookieSuffix = $"; max-age={maxAge}; path=/; httponly";
        _cookieSuffixSecure = $"; max-age={maxAge}; path=/; secure; samesite=none; httponly";
        _allowedOrigins = _options.AllowedOrigins.Length == 0 ? null : new HashSet<string>(_options.AllowedOrigins, StringComparer.Ordinal);
    }

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value;
        if (path is HealthProbes.HealthPath or HealthProbes.AlivePath or StageStats.Path)
        {
            return _next(context);
        }

        if (path == TrackerScript.Path)
        {
            return TrackerScript.Serve(context);
        }

        var response = context.Response;
        var requestHeaders = request.Headers;
        var target = RawTarget(context);
        var method = request.Method;
        var isHit = false;
        var body = false;
        int code;
        if (method.Length + target.Length + request.Protocol.Length + 4 > PixelOptions.MaxTargetBytes)
        {
            code = StatusCodes.Status414UriTooLong;
        }
        else if (HasOversizedHeader(requestHeaders))
        {
            // nginx answers 400 when one header line does not fit its 8 KiB buffer; so do we.
            code = StatusCodes.Status400BadRequest;
        }
        else if (path is not ("/i" or "/i.gif"))
        {
            code = StatusCodes.Status404NotFound;
        }
        else if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
        {
            code = StatusCodes.Status200OK;
            isHit = true;
            body = HttpMethods.IsGet(method);
        }
        else if (HttpMethods.IsOptions(method))
        {
            code = StatusCodes.Status204NoContent;
        }
        else
        {
            code = StatusCodes.Status405MethodNotAllowed;
        }

        var peer = context.Connection.RemoteIpAddress;
        var trusted = _client.IsTrusted(peer);
        var optOut = _options.HonorPrivacySignals && (IsOne(requestHeaders["Sec-GPC"]) || IsOne(requestHeaders["DNT"]));
        var visitor = optOut ? null : ValidVisitor(requestHeaders.Cookie, _options.CookieName);

        response.StatusCode = code;
        var headers = response.Headers;
        if (code is StatusCodes.Status200OK or StatusCodes.Status204NoContent)
        {
            AddCors(headers, requestHeaders.Origin);
        }

        if (isHit)
        {
            if (visitor is null && !optOut)
            {
                visitor = VisitorId.New();
                var secure = request.IsHttps || (trusted && string.Equals(requestHeaders["X-Forwarded-Proto"], "https", StringComparison.OrdinalIgnoreCase));
                headers.SetCookie = string.Concat(_cookiePrefix, visitor, secure ? _cookieSuffixSecure : _cookieSuffix);
            }

            headers.ContentType = ImageGif;
            headers.CacheControl = NoCache;
            headers.Pragma = PragmaNoCache;
            headers.Expires = ExpiresZero;
            response.ContentLength = GifBytes.Length;
        }
        else if (code == StatusCodes.Status204NoContent)
        {
            headers.AccessControlAllowMethods = PreflightMethods;
            headers.AccessControlMaxAge = PreflightMaxAge;
        }
        else
        {
            response.ContentLength = 0;
        }

        _log.TryWrite(new AccessLogEntry(
            Remote: _client.Resolve(peer, trusted, trusted ? requestHeaders["X-Forwarded-For"] : default(string)),
            Host: requestHeaders.Host,
            Time: _clock.Now(),
            Method: method,
            Path: target,
            Code: code,
            Size: body ? GifBytes.Length : 0,
            Referer: requestHeaders.Referer,
            Agent: requestHeaders.UserAgent,
            Cookie: visitor,
            TraceParent: TraceParent()));

        if (body)
        {
            // Into Kestrel's output pipe without a flush: headers and GIF leave in one send when the request ends.
            response.BodyWriter.Write(GifBytes);
        }

        return Task.CompletedTask;
    }

    private void AddCors(IHeaderDictionary headers, StringValues origin)
    {
        if (origin.Count != 1 || origin[0] is not { Length: > 0 } value)
        {
            return;
        }

        // Only printable ASCII is echoed (what the nginx map matches), never a byte that could not be a header.
        foreach (var c in value)
        {
            if (c is < '!' or > '~')
            {
                return;
            }
        }

        if (_allowedOrigins is not null && !_allowedOrigins.Contains(value))
        {
            return;
        }

        headers.AccessControlAllowOrigin = origin;
        headers.AccessControlAllowCredentials = True;
        headers.Vary = Origin;
    }

    /// <summary>The W3C id of the request's activity; without one (no listener), fresh random ids.</summary>
    private static string TraceParent()
    {
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } id })
        {
            return id;
        }

        return string.Concat("00-", ActivityTraceId.CreateRandom().ToHexString(), "-", ActivitySpanId.CreateRandom().ToHexString(), "-00");
    }

    private static bool HasOversizedHeader(IHeaderDictionary headers)
    {
        foreach (var header in headers)
        {
            foreach (var value in header.Value)
            {
                if (header.Key.Length + (value?.Length ?? 0) + 4 > PixelOptions.MaxTargetBytes)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsOne(StringValues value) => value.Count == 1 && value[0] == "1";

    /// <summary>The visitor id of the request, if its first <paramref name="name"/> cookie holds a valid one.</summary>
    private static string? ValidVisitor(StringValues header, string name)
    {
        if (header.Count == 0)
        {
            return null;
        }

        // Validated on the span: only a kept id becomes a string.
        var value = FindCookie(header.Count == 1 ? header[0] : header.ToString(), name);
        return VisitorId.IsValid(value) ? value.ToString() : null;
    }

    /// <summary>The first cookie called <paramref name="name"/> (case-insensitive, like nginx's <c>$cookie_</c>).</summary>
    internal static ReadOnlySpan<char> FindCookie(string? header, string name)
    {
        var rest = header.AsSpan();
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOfAny(';', ',');
            var pair = (end < 0 ? rest : rest[..end]).TrimStart(' ');
            rest = end < 0 ? default : rest[(end + 1)..];
            if (pair.Length > name.Length && pair[name.Length] == '=' && pair.StartsWith(name, StringComparison.OrdinalIgnoreCase))
            {
                return pair[(name.Length + 1)..].TrimEnd(' ');
            }
        }

        return default;
    }

    /// <summary>The request target as the client sent it, like nginx's <c>$request_uri</c>.</summary>
    private static string RawTarget(HttpContext context) =>
        context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw
            ? raw
            : context.Request.Path.ToUriComponent() + context.Request.QueryString.ToUriComponent();
}
