using System.IO.Hashing;
using System.Text;

namespace Clickstream.Consumer.Consuming;

/// <summary>
/// Remembers the last <c>capacity</c> event ids, so a line the shipper sent twice (after a restart,
/// or a retry whose first attempt did land) is counted once. Ids are kept as their 128-bit XxHash128
/// (16 bytes each, a collision is astronomically unlikely at this size) in a set plus a ring that
/// says which to forget next: about 45 MB for the default million.
/// </summary>
public sealed class DeduplicationWindow
{
    private readonly HashSet<UInt128> _seen;
    private readonly UInt128[] _order;
    private int _next;

    public DeduplicationWindow(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _seen = new HashSet<UInt128>(capacity);
        _order = new UInt128[capacity];
    }

    public int Count => _seen.Count;

    /// <summary>True the first time an id is seen within the window.</summary>
    public bool TryAdd(ReadOnlySpan<byte> eventId) => TryAdd(XxHash128.HashToUInt128(eventId));

    public bool TryAdd(string eventId) => TryAdd(Encoding.UTF8.GetBytes(eventId));

    /// <summary>Checkpoint: the ids oldest first, so loading them into a window of any size keeps the newest.</summary>
    internal void Save(BinaryWriter writer)
    {
        writer.Write(_seen.Count);
        var start = _seen.Count < _order.Length ? 0 : _next;
        for (var i = 0; i < _seen.Count; i++)
        {
            var id = _order[(start + i) % _order.Length];
            writer.Write((ulong)id);
            writer.Write((ulong)(id >> 64));
        }
    }

    internal void Load(BinaryReader reader)
    {
        _seen.Clear();
        Array.Clear(_order);
        _next = 0;
        var n = reader.ReadInt32();
        for (var i = 0; i < n; i++)
        {
            var (low, high) = (reader.ReadUInt64(), reader.ReadUInt64());
            TryAdd(((UInt128)high << 64) | low);
        }
    }

    private bool TryAdd(UInt128 id)
    {
        if (!_seen.Add(id))
        {
            return false;
        }

        if (_seen.Count > _order.Length)
        {
            _seen.Remove(_order[_next]); // the oldest
        }

        _order[_next] = id;
        _next = (_next + 1) % _order.Length;
        return true;
    }
}
