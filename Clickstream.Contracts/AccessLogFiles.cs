namespace Clickstream.Contracts;

/// <summary>Files the pixel and the shipper agree on besides the log lines themselves.</summary>
public static class AccessLogFiles
{
    /// <summary>
    /// Created by the pixel in its log directory once its last line is written and the log closed at shutdown,
    /// deleted when it starts again. A shipper draining on stop is done at the end of the files once it has
    /// seen this marker, instead of waiting for them to stay quiet. Its name matches no <c>*.log</c> glob.
    /// </summary>
    public const string WriterClosedMarker = "pixel.closed";
}
