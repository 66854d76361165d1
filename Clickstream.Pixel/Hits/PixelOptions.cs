namespace Clickstream.Pixel.Hits;

/// <summary>Bound from the <c>Pixel</c> section.</summary>
public sealed class PixelOptions
{
    public const string SectionName = "Pixel";

    public string CookieName { get; set; } = "uid";

    public TimeSpan CookieMaxAge { get; set; } = TimeSpan.FromDays(365);
}
