namespace Clickstream.Consumer.Stats;

public sealed record Ranked(string Key, long Count);

/// <summary>
/// Counts per key for "top N" tables. At most <c>maxKeys</c> distinct keys are tracked (a hostile
/// client could send endless distinct paths); later keys go to <see cref="Other"/> so the table's
/// sum still equals the events counted.
/// </summary>
public sealed class TopCounter(int maxKeys = 10_000)
{
    public const string Other = "(other)";

    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

    public int Keys => _counts.Count;

    public void Add(string key)
    {
        if (!_counts.ContainsKey(key) && _counts.Count >= maxKeys)
        {
            key = Other;
        }

        _counts[key] = _counts.GetValueOrDefault(key) + 1;
    }

    public long Get(string key) => _counts.GetValueOrDefault(key);

    /// <summary>Every key and its count, for merging tables (the caller holds the owner's lock).</summary>
    internal IEnumerable<KeyValuePair<string, long>> Counts => _counts;

    internal void Save(BinaryWriter writer)
    {
        writer.Write(_counts.Count);
        foreach (var (key, count) in _counts)
        {
            writer.Write(key);
            writer.Write(count);
        }
    }

    internal void Load(BinaryReader reader)
    {
        _counts.Clear();
        var n = reader.ReadInt32();
        for (var i = 0; i < n; i++)
        {
            _counts[reader.ReadString()] = reader.ReadInt64();
        }
    }

    public IReadOnlyList<Ranked> Top(int n) =>
        _counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(n)
            .Select(p => new Ranked(p.Key, p.Value)).ToList();
}
