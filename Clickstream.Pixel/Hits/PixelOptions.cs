namespace Clickstream.Pixel.Hits;

/// <summary>Bound from the <c>Pixel</c> section. The nginx template takes the same knobs (<c>NginxPixelSettings</c>).</summary>
public sealed class PixelOptions
{
    public const string SectionName = "Pixel";

    /// <summary>Request targets longer than this are answered 414 (nginx: <c>large_client_header_buffers 4 8k</c>).</summary>
    public const int MaxTargetBytes = 8 * 1024;

    public string CookieName { get; set; } = "uid";

    public TimeSpan CookieMaxAge { get; set; } = TimeSpan.FromDays(365);

    /// <summary><c>Sec-GPC: 1</c> or <c>DNT: 1</c>: no cookie is set and <c>cookie</c> is logged as <c>-</c>.</summary>
    public bool HonorPrivacySignals { get; set; } = true;

    /// <summary>Log IPv4 addresses as /24 and IPv6 as /48 (the zeroed address), before the line is formatted.</summary>
    public bool TruncateClientIp { get; set; }

    /// <summary>Addresses or CIDR ranges whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> are believed; empty: nobody's.</summary>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>Origins echoed in <c>Access-Control-Allow-Origin</c>; empty: any origin.</summary>
    public string[] AllowedOrigins { get; set; } = [];
}
