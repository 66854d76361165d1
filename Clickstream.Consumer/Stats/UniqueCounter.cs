using System.IO.Hashing;
using System.Text;

namespace Clickstream.Consumer.Stats;

/// <summary>
/// Distinct visitors: exact (a set of 64-bit hashes of the cookie) up to <c>exactLimit</c>, then the
/// HyperLogLog that was fed all along takes over, with its standard error stated in the snapshot.
/// </summary>
public sealed class UniqueCounter(int exactLimit = 100_000, int precision = 14)
{
    private readonly HyperLogLog _sketch = new(precision);
    private HashSet<ulong>? _exact = [];

    public bool IsExact => _exact is not null;

    /// <summary>0 while exact, else the sketch's relative standard error.</summary>
    public double StandardError => IsExact ? 0 : _sketch.StandardError;

    public long Count => _exact?.Count ?? _sketch.Estimate();

    public void Add(string key) => Add(Hash(key));

    public void Add(ulong hash)
    {
        _sketch.Add(hash);
        if (_exact is not null && _exact.Add(hash) && _exact.Count > exactLimit)
        {
            _exact = null; // from here on the sketch answers
        }
    }

    internal void Save(BinaryWriter writer)
    {
        _sketch.Save(writer);
        writer.Write(_exact?.Count ?? -1);
        foreach (var hash in _exact ?? [])
        {
            writer.Write(hash);
        }
    }

    internal void Load(BinaryReader reader)
    {
        _sketch.Load(reader);
        var exact = reader.ReadInt32();
        _exact = exact < 0 ? null : new HashSet<ulong>(exact);
        for (var i = 0; i < exact; i++)
        {
            _exact!.Add(reader.ReadUInt64());
        }
    }

    /// <summary>XxHash64 of the key's UTF-8 bytes, so a cookie hashed from the raw line matches its string.</summary>
    public static ulong Hash(string key)
    {
        var max = Encoding.UTF8.GetMaxByteCount(key.Length);
        Span<byte> bytes = max <= 512 ? stackalloc byte[max] : new byte[max];
        return Hash(bytes[..Encoding.UTF8.GetBytes(key, bytes)]);
    }

    public static ulong Hash(ReadOnlySpan<byte> utf8) => XxHash64.HashToUInt64(utf8);
}
