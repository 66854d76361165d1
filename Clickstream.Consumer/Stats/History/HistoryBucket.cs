using Clickstream.Consumer.Checkpoints;

namespace Clickstream.Consumer.Stats.History;

/// <summary>How many counters a bucket's top pages, sources and campaigns keep (see <see cref="HeavyHitters"/>).</summary>
public readonly record struct TopCapacities(int Pages, int Sources, int Campaigns);

/// <summary>
/// One minute, hour or day of one site: counts that add up across buckets, a visitor sketch that merges,
/// and bounded top pages, sources and campaigns (<see cref="HeavyHitters"/>: exact while a bucket has no more
/// distinct keys than counters, else each count within the bucket's total / capacity).
/// </summary>
public sealed class HistoryBucket(TopCapacities capacities)
{
    public long Events;
    public long Pageviews;
    public long Sessions;
    public long Entries;
    public long NonBounced;
    public long EngagedMs;
    public VisitorSketch Visitors { get; private set; } = new();
    public HeavyHitters Pages { get; } = new(capacities.Pages);
    public HeavyHitters Sources { get; } = new(capacities.Sources);
    public HeavyHitters Campaigns { get; } = new(capacities.Campaigns);

    public void Save(CheckpointWriter writer)
    {
        foreach (var value in (long[])[Events, Pageviews, Sessions, Entries, NonBounced, EngagedMs])
        {
            writer.Write7BitEncodedInt64(value);
        }

        Visitors.Save(writer);
        Pages.Save(writer);
        Sources.Save(writer);
        Campaigns.Save(writer);
    }

    public static HistoryBucket Load(CheckpointReader reader, TopCapacities capacities, Func<string, string> intern)
    {
        if (reader.Version < 3)
        {
            return LoadVersion2(reader, capacities, intern);
        }

        var bucket = new HistoryBucket(capacities)
        {
            Events = reader.Read7BitEncodedInt64(),
            Pageviews = reader.Read7BitEncodedInt64(),
            Sessions = reader.Read7BitEncodedInt64(),
            Entries = reader.Read7BitEncodedInt64(),
            NonBounced = reader.Read7BitEncodedInt64(),
            EngagedMs = reader.Read7BitEncodedInt64(),
        };
        bucket.Visitors = VisitorSketch.Load(reader);
        bucket.Pages.Load(reader, intern);
        bucket.Sources.Load(reader, intern);
        bucket.Campaigns.Load(reader, intern);
        return bucket;
    }

    /// <summary>Versions 1 and 2: int64 counters, the sketch's older layout, and exact tables of (string, int64).</summary>
    private static HistoryBucket LoadVersion2(CheckpointReader reader, TopCapacities capacities, Func<string, string> intern)
    {
        var bucket = new HistoryBucket(capacities)
        {
            Events = reader.ReadInt64(),
            Pageviews = reader.ReadInt64(),
            Sessions = reader.ReadInt64(),
            Entries = reader.ReadInt64(),
            NonBounced = reader.ReadInt64(),
            EngagedMs = reader.ReadInt64(),
        };
        bucket.Visitors = VisitorSketch.Load(reader);
        foreach (var table in (HeavyHitters[])[bucket.Pages, bucket.Sources, bucket.Campaigns])
        {
            var counts = new KeyValuePair<string, long>[reader.ReadInt32()];
            for (var i = 0; i < counts.Length; i++)
            {
                counts[i] = new(reader.ReadString(), reader.ReadInt64());
            }

            table.LoadCounts(counts, intern);
        }

        return bucket;
    }
}
