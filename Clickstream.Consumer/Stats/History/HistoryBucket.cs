namespace Clickstream.Consumer.Stats.History;

/// <summary>
/// One minute, hour or day of one site: counts that add up across buckets, a visitor sketch that merges,
/// and bounded top pages, sources and campaigns (beyond <c>maxKeys</c> a key counts under "(other)", so
/// a table's sum still equals the page views).
/// </summary>
public sealed class HistoryBucket(int maxKeys)
{
    public long Events;
    public long Pageviews;
    public long Sessions;
    public long Entries;
    public long NonBounced;
    public long EngagedMs;
    public VisitorSketch Visitors { get; private set; } = new();
    public TopCounter Pages { get; } = new(maxKeys);
    public TopCounter Sources { get; } = new(maxKeys);
    public TopCounter Campaigns { get; } = new(maxKeys);

    public void Save(BinaryWriter writer)
    {
        foreach (var value in (long[])[Events, Pageviews, Sessions, Entries, NonBounced, EngagedMs])
        {
            writer.Write(value);
        }

        Visitors.Save(writer);
        Pages.Save(writer);
        Sources.Save(writer);
        Campaigns.Save(writer);
    }

    public static HistoryBucket Load(BinaryReader reader, int maxKeys)
    {
        var bucket = new HistoryBucket(maxKeys)
        {
            Events = reader.ReadInt64(),
            Pageviews = reader.ReadInt64(),
            Sessions = reader.ReadInt64(),
            Entries = reader.ReadInt64(),
            NonBounced = reader.ReadInt64(),
            EngagedMs = reader.ReadInt64(),
        };
        bucket.Visitors = VisitorSketch.Load(reader);
        bucket.Pages.Load(reader);
        bucket.Sources.Load(reader);
        bucket.Campaigns.Load(reader);
        return bucket;
    }
}
