using Clickstream.Pixel.AccessLog;
using Clickstream.Pixel.Hits;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using SameSiteMode = Microsoft.AspNetCore.Http.SameSiteMode;

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

    private static readonly byte[] GifBytes = Gif.ToArray();

    public static IEndpointRouteBuilder MapPixel(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/i", ["GET", "HEAD"], ServeHit);
        app.MapMethods("/i.gif", ["GET", "HEAD"], ServeHit);
        return app;
    }

    /// <summary>The request target as the client sent it, like nginx's <c>$request_uri</c>.</summary>
    private static string RawTarget(HttpContext context) =>
        context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw
            ? raw
            : context.Request.Path.ToUriComponent() + context.Request.QueryString.ToUriComponent();

    private static Task ServeHit(HttpContext context, AccessLogWriter log, IOptions<PixelOptions> options, TimeProvider time)
    {
        var request = context.Request;
        var response = context.Response;
        var settings = options.Value;

        var visitor = request.Cookies[settings.CookieName];
        if (visitor is null || !VisitorId.IsValid(visitor))
        {
            visitor = VisitorId.New();
            response.Cookies.Append(settings.CookieName, visitor, new CookieOptions
            {
                MaxAge = settings.CookieMaxAge,
                Path = "/",
                HttpOnly = true,
                Secure = request.IsHttps,
                // Third-party pixels only get their cookie back cross-site with SameSite=None, which needs Secure.
                SameSite = request.IsHttps ? SameSiteMode.None : SameSiteMode.Unspecified,
            });
        }

        var headers = response.Headers;
        headers.ContentType = "image/gif";
        headers.CacheControl = "no-cache, no-store, must-revalidate";
        headers.Pragma = "no-cache";
        headers.Expires = "0";
        response.ContentLength = GifBytes.Length;

        var isHead = HttpMethods.IsHead(request.Method);
        var requestHeaders = request.Headers;
        log.TryWrite(new AccessLogEntry(
            Remote: context.Connection.RemoteIpAddress?.ToString(),
            Host: requestHeaders.Host,
            User: null,
            Time: time.GetLocalNow(),
            Method: request.Method,
            Path: RawTarget(context),
            Code: StatusCodes.Status200OK,
            Size: isHead ? 0 : GifBytes.Length,
            Referer: requestHeaders[HeaderNames.Referer],
            Agent: requestHeaders.UserAgent,
            Cookie: visitor));

        return isHead ? Task.CompletedTask : response.Body.WriteAsync(GifBytes).AsTask();
    }
}
