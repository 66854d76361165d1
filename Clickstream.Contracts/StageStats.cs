namespace Clickstream.Contracts;

/// <summary>
/// <c>GET /stats</c> of the pixel and the shipper: counts since the process started, which the consumer's
/// reconciliation strip polls and compares (served → written → shipped → acked → applied). Each stage
/// writes its record and the consumer reads the same type, so the two cannot drift apart.
/// </summary>
public static class StageStats
{
    /// <summary>Where each stage answers, relative to its base address.</summary>
    public const string Path = "/stats";
}

/// <summary>The pixel's <c>/stats</c>: answered hits, lines that reached the file, lines lost (queue full or disk error).</summary>
public sealed record PixelStats(long HitsServed, long LinesWritten, long LinesDropped);

/// <summary>
/// The shipper's <c>/stats</c>: lines read, handed to the producer, acknowledged by the broker and dead-lettered;
/// lines in flight (read and not yet checkpointable) and the acknowledgement latency's 99th percentile.
/// </summary>
public sealed record ShipperStats(long LinesRead, long LinesSent, long LinesAcked, long DeadLettered, long InFlight, double AckLatencyP99Ms);
