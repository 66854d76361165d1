using Clickstream.Consumer.Checkpoints;

namespace Clickstream.Consumer.Stats.History;

/// <summary>
/// The top keys of one bucket (pages, sources or campaigns) in at most <c>capacity</c> counters: Space-Saving
/// (Metwally, Agrawal, El Abbadi 2005). While a bucket has no more distinct keys than counters every count is
/// exact. Beyond that a new key takes over the smallest counter and inherits its count, which it records as its
/// <see cref="Entry.Error"/>: a kept key's true count lies in [<c>Count - Error</c>, <c>Count</c>], the error is at
/// most N / capacity (N = the bucket's total), any key with more than N / capacity is kept, and the counts still
/// add up to N. Merged over a range's buckets by adding counts, a key's figure is off by at most the sum of
/// the buckets' N / capacity. Counters sit in one small array, sorted by count and searched linearly (buckets
/// keep 8 to 200): no dictionary per bucket, which for thousands of buckets would cost more than the counts.
/// </summary>
public sealed class HeavyHitters(int capacity)
{
    public struct Entry
    {
        public string Key;
        public long Count;
        public long Error;
    }

    private Entry[] _entries = [];
    private int _count;

    public int Capacity => capacity;

    public int Count => _count;

    /// <summary>Whether every count is exact (no key was ever evicted).</summary>
    public bool Exact { get; private set; } = true;

    public ReadOnlySpan<Entry> Entries => _entries.AsSpan(0, _count);

    /// <summary>Counts <paramref name="key"/> once; a key that gets a counter is stored as <paramref name="intern"/> returns it.</summary>
    public void Add(string key, Func<string, string>? intern = null)
    {
        // Counters stay sorted by count, largest first: the frequent keys (most events) are found in the first few
        // places, and the smallest counter, which a new key takes over when the table is full, is the last.
        for (var i = 0; i < _count; i++)
        {
            if (string.Equals(_entries[i].Key, key, StringComparison.Ordinal))
            {
                _entries[i].Count++;
                Rise(i);
                return;
            }
        }

        if (_count < capacity)
        {
            if (_count == _entries.Length)
            {
                Array.Resize(ref _entries, Math.Min(capacity, Math.Max(2, _count * 2)));
            }

            _entries[_count++] = new Entry { Key = intern?.Invoke(key) ?? key, Count = 1 };
            Rise(_count - 1);
            return;
        }

        // Full: the key takes the smallest counter over, with its count as the error.
        var inherited = _entries[_count - 1].Count;
        _entries[_count - 1] = new Entry { Key = intern?.Invoke(key) ?? key, Count = inherited + 1, Error = inherited };
        Rise(_count - 1);
        Exact = false;
    }

    /// <summary>Moves a counter that grew ahead of the smaller ones before it.</summary>
    private void Rise(int i)
    {
        while (i > 0 && _entries[i - 1].Count < _entries[i].Count)
        {
            (_entries[i - 1], _entries[i]) = (_entries[i], _entries[i - 1]);
            i--;
        }
    }

    public long Get(string key)
    {
        foreach (var entry in Entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.Ordinal))
            {
                return entry.Count;
            }
        }

        return 0;
    }

    public void Save(CheckpointWriter writer)
    {
        writer.Write(Exact);
        writer.Write7BitEncodedInt(_count);
        foreach (var entry in Entries)
        {
            writer.WriteKey(entry.Key);
            writer.Write7BitEncodedInt64(entry.Count);
            writer.Write7BitEncodedInt64(entry.Error);
        }
    }

    public void Load(CheckpointReader reader, Func<string, string> intern)
    {
        Exact = reader.ReadBoolean();
        var n = reader.Read7BitEncodedInt();
        if (n < 0 || n > capacity)
        {
            throw new InvalidDataException($"{n} counters in a table of {capacity}.");
        }

        _entries = new Entry[n];
        for (var i = 0; i < n; i++)
        {
            _entries[i] = new Entry { Key = intern(reader.ReadKey()), Count = reader.Read7BitEncodedInt64(), Error = reader.Read7BitEncodedInt64() };
        }

        _count = n; // in the saved order, ties included, so a restored table evicts exactly as the saved one would
    }

    /// <summary>
    /// Exact counts of an older layout (a key per count, under a wider bound): the largest kept, the rest's total
    /// added to the smallest kept counter as its error, so the counts still add up and the bound still holds.
    /// </summary>
    public void LoadCounts(IEnumerable<KeyValuePair<string, long>> counts, Func<string, string> intern)
    {
        var ordered = counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).ToList();
        _entries = new Entry[Math.Min(capacity, ordered.Count)];
        _count = 0;
        foreach (var (key, count) in ordered.Take(capacity))
        {
            _entries[_count++] = new Entry { Key = intern(key), Count = count };
        }

        var rest = ordered.Skip(capacity).Sum(c => c.Value);
        if (rest > 0)
        {
            _entries[_count - 1].Count += rest;
            _entries[_count - 1].Error += rest;
            Rise(_count - 1);
            Exact = false;
        }
    }
}
