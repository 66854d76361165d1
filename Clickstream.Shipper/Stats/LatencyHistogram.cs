namespace Clickstream.Shipper.Stats;

/// <summary>
/// A lock-free latency histogram for quantiles since start: buckets of about 4% width on a log scale
/// from 0.01 ms to about 20 minutes. One <see cref="Interlocked.Increment(ref long)"/> per sample, so it
/// can sit on the delivery-report thread.
/// </summary>
public sealed class LatencyHistogram
{
    private const double MinMs = 0.01;
    private const double Growth = 1.04;
    private const int BucketCount = 512;
    private static readonly double LogGrowth = Math.Log(Growth);
    private readonly long[] _counts = new long[BucketCount];

    public void Record(double ms)
    {
        var bucket = ms <= MinMs ? 0 : Math.Min(BucketCount - 1, 1 + (int)(Math.Log(ms / MinMs) / LogGrowth));
        Interlocked.Increment(ref _counts[bucket]);
    }

    /// <summary>The upper bound of the bucket holding quantile <paramref name="q"/> (0..1); 0 with no samples.</summary>
    public double Quantile(double q)
    {
        var counts = new long[BucketCount];
        long total = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            counts[i] = Interlocked.Read(ref _counts[i]);
            total += counts[i];
        }

        if (total == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(q * total);
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                return i == 0 ? MinMs : MinMs * Math.Pow(Growth, i);
            }
        }

        return MinMs * Math.Pow(Growth, BucketCount - 1);
    }
}
