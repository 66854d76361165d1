namespace Clickstream.Shipper.Stats;

/// <summary>
/// A lock-free latency histogram for quantiles since start: in microseconds, 16 buckets per power of two
/// (at most about 6% wide), up to about 9 hours. One <see cref="Interlocked.Increment(ref long)"/> and
/// a few bit operations per sample, so it can sit on the delivery-report thread.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBits = 4;
    private const int BucketCount = 33 << SubBits;
    private readonly long[] _counts = new long[BucketCount];

    public void Record(double ms) => Interlocked.Increment(ref _counts[Bucket((ulong)Math.Max(0, ms * 1000))]);

    /// <summary>Values below 16 µs have a bucket each; above, the power of two and the next 4 bits after the leading one.</summary>
    private static int Bucket(ulong micros)
    {
        if (micros < 1 << SubBits)
        {
            return (int)micros;
        }

        var log = System.Numerics.BitOperations.Log2(micros);
        var sub = (int)(micros >> (log - SubBits)) & ((1 << SubBits) - 1);
        return Math.Min(BucketCount - 1, ((log - SubBits + 1) << SubBits) + sub);
    }

    /// <summary>The largest value, in microseconds, that falls into <paramref name="bucket"/>.</summary>
    private static double UpperMicros(int bucket)
    {
        if (bucket < 1 << SubBits)
        {
            return bucket;
        }

        var log = (bucket >> SubBits) + SubBits - 1;
        var sub = bucket & ((1 << SubBits) - 1);
        return ((1UL << log) + ((ulong)(sub + 1) << (log - SubBits))) - 1;
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
                return UpperMicros(i) / 1000;
            }
        }

        return UpperMicros(BucketCount - 1) / 1000;
    }
}
