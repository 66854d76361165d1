namespace Clickstream.Pixel;

internal static class PixelTelemetry
{
    public const string MeterName = "Clickstream.Pixel";
}
