using System.IO.Hashing;
using System.Text;

namespace Clickstream.Consumer.Consuming;

/// <summary>
/// Remembers the last <c>capacity</c> event ids, so a line the shipper sent twice (after a restart,
/// or a retry whose first attempt did land) is counted once. Ids are kept as their 128-bit XxHash128
/// (16 bytes each, a collision is astronomically unlikely at this size) in a set plus a ring that
/// says which to forget next: about 45 MB for the default million.
/// <para>
/// The consume thread asks (<see cref="TryAdd(ReadOnlySpan{byte})"/>) before it parses a message, so a
/// duplicate's value is never read; the apply thread reports each admitted event applied
/// (<see cref="Applied"/>) and saves the window with its checkpoint. Admitted ids are applied in the order
/// they were admitted (one hand-over queue), so those not yet applied are the newest: a checkpoint leaves
/// them out, since its offsets do not cover their events, which are read again after a restart.
/// </para>
/// </summary>
public sealed class DeduplicationWindow
{
    private readonly Lock _gate = new();
    private readonly HashSet<UInt128> _seen;
    private readonly UInt128[] _order;
    private int _next;
    private long _admitted; // under _gate
    private long _applied;  // the apply thread's

    public DeduplicationWindow(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _seen = new HashSet<UInt128>(capacity);
        _order = new UInt128[capacity];
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _seen.Count;
            }
        }
    }

    /// <summary>True the first time an id is seen within the window (the id is then remembered); thread-safe.</summary>
    public bool TryAdd(ReadOnlySpan<byte> eventId)
    {
        var id = XxHash128.HashToUInt128(eventId);
        lock (_gate)
        {
            if (!Add(id))
            {
                return false;
            }

            _admitted++;
            return true;
        }
    }

    public bool TryAdd(string eventId) => TryAdd(Encoding.UTF8.GetBytes(eventId));

    /// <summary>Apply thread: an event whose id <see cref="TryAdd(ReadOnlySpan{byte})"/> admitted was applied (or skipped as malformed).</summary>
    public void Applied() => _applied++;

    /// <summary>Checkpoint (apply thread): the applied ids oldest first, so loading them into a window of any size keeps the newest.</summary>
    internal void Save(BinaryWriter writer)
    {
        lock (_gate)
        {
            var notApplied = (int)Math.Clamp(_admitted - _applied, 0, _seen.Count);
            var count = _seen.Count - notApplied;
            writer.Write(count);
            var start = _seen.Count < _order.Length ? 0 : _next;
            for (var i = 0; i < count; i++)
            {
                var id = _order[(start + i) % _order.Length];
                writer.Write((ulong)id);
                writer.Write((ulong)(id >> 64));
            }
        }
    }

    /// <summary>Restore, before either thread runs.</summary>
    internal void Load(BinaryReader reader)
    {
        lock (_gate)
        {
            _seen.Clear();
            Array.Clear(_order);
            _next = 0;
            _admitted = _applied = 0;
            var n = reader.ReadInt32();
            for (var i = 0; i < n; i++)
            {
                var (low, high) = (reader.ReadUInt64(), reader.ReadUInt64());
                Add(((UInt128)high << 64) | low);
            }
        }
    }

    private bool Add(UInt128 id)
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
