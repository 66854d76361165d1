namespace Clickstream.Consumer.Stats;

/// <summary>
/// Counts per fixed time bucket (1 s, 1 min) in a ring: <c>count</c> buckets ending with the one that
/// holds "now". Events older than the ring are ignored; a bucket is cleared when its slot is reused.
/// </summary>
public sealed class TimeBuckets(int count, TimeSpan width)
{
    private readonly long[] _counts = new long[count];
    private readonly long[] _bucketOf = new long[count];
    private readonly long _widthTicks = width.Ticks;

    public int Count => count;

    public void Add(DateTimeOffset at, DateTimeOffset now)
    {
        var bucket = BucketOf(at);
        var current = BucketOf(now);
        if (bucket > current || bucket <= current - count)
        {
            return;
        }

        var slot = (int)(bucket % count);
        if (_bucketOf[slot] != bucket)
        {
            _bucketOf[slot] = bucket;
            _counts[slot] = 0;
        }

        _counts[slot]++;
    }

    /// <summary>The last <paramref name="n"/> buckets, oldest first, the last one being the bucket of <paramref name="now"/> (still filling).</summary>
    public long[] Last(int n, DateTimeOffset now)
    {
        n = Math.Min(n, count);
        var current = BucketOf(now);
        var result = new long[n];
        for (var i = 0; i < n; i++)
        {
            var bucket = current - (n - 1) + i;
            var slot = (int)(bucket % count);
            result[i] = _bucketOf[slot] == bucket ? _counts[slot] : 0;
        }

        return result;
    }

    /// <summary>Events in the last <paramref name="n"/> buckets including the current one.</summary>
    public long Sum(int n, DateTimeOffset now) => Last(n, now).Sum();

    internal void Save(BinaryWriter writer)
    {
        writer.Write(count);
        for (var i = 0; i < count; i++)
        {
            writer.Write(_bucketOf[i]);
            writer.Write(_counts[i]);
        }
    }

    internal void Load(BinaryReader reader)
    {
        var saved = reader.ReadInt32();
        Array.Clear(_bucketOf);
        Array.Clear(_counts);
        for (var i = 0; i < saved; i++)
        {
            var (bucket, n) = (reader.ReadInt64(), reader.ReadInt64());
            // Slots by bucket number, so a ring of another length still loads what fits.
            if (n != 0 && (int)(bucket % count) is var slot && _bucketOf[slot] <= bucket)
            {
                _bucketOf[slot] = bucket;
                _counts[slot] = n;
            }
        }
    }

    private long BucketOf(DateTimeOffset t) => t.UtcTicks / _widthTicks;
}
