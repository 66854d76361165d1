using System.Security.Cryptography;
using Microsoft.Extensions.Primitives;

namespace Clickstream.Pixel.Hits;

/// <summary>
/// Our tracker (<c>Hits/c.js</c>, hand-written, embedded in the assembly) at <see cref="Path"/>: sent as is,
/// cacheable for an hour with an ETag, not logged (fetching the script is not a hit). The nginx template
/// serves the same file (<see cref="Contracts.Nginx.NginxPixelSettings.TrackerScript"/>).
/// </summary>
public static class TrackerScript
{
    /// <summary>Where the pixel serves the script.</summary>
    public const string Path = "/c.js";

    /// <summary>The budget of the script as served (Plausible's is about 1.3 KB).</summary>
    public const int MaxBytes = 2000;

    public const string ContentType = "application/javascript; charset=utf-8";
    public const string CacheControl = "public, max-age=3600";

    public static readonly byte[] Bytes = Load();

    private static readonly StringValues ETag = $"\"{Convert.ToHexStringLower(SHA256.HashData(Bytes))[..16]}\"";
    private static readonly StringValues ContentTypeValue = ContentType;
    private static readonly StringValues CacheControlValue = CacheControl;

    /// <summary>GET/HEAD: 200 (or 304 for a matching If-None-Match); other methods: 405.</summary>
    public static Task Serve(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return Task.CompletedTask;
        }

        response.Headers.ETag = ETag;
        response.Headers.CacheControl = CacheControlValue;
        if (request.Headers.IfNoneMatch == ETag)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.ContentType = ContentTypeValue;
        response.ContentLength = Bytes.Length;
        return HttpMethods.IsGet(request.Method) ? response.Body.WriteAsync(Bytes).AsTask() : Task.CompletedTask;
    }

    private static byte[] Load()
    {
        using var stream = typeof(TrackerScript).Assembly.GetManifestResourceStream("Clickstream.Pixel.Hits.c.js")
            ?? throw new InvalidOperationException("The tracker script is not embedded in the pixel.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
