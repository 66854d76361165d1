namespace Clickstream.Consumer.Stats;

/// <summary>
/// Distinct visitors seen in the last N seconds (N up to <c>horizon</c>), exact to the second and
/// cheap to read: each visitor's last-seen second is kept, plus a ring counting visitors by their
/// last-seen second, so a window's count is a sum over the ring instead of a scan of all visitors.
/// Visitors not seen within the horizon are pruned once a minute. At most <c>maxVisitors</c> are
/// tracked at once (beyond it new visitors are not counted until some expire).
/// </summary>
public sealed class ActiveVisitors(TimeSpan horizon, int maxVisitors = 1_000_000)
{
    private readonly int _seconds = (int)horizon.TotalSeconds;
    private readonly Dictionary<ulong, long> _lastSeen = [];
    private readonly long[] _count = new long[(int)horizon.TotalSeconds + 1];
    private readonly long[] _secondOf = new long[(int)horizon.TotalSeconds + 1];
    private long _nextPrune;

    public int Tracked => _lastSeen.Count;

    public void Seen(ulong visitor, DateTimeOffset at, DateTimeOffset now)
    {
        var second = at.ToUnixTimeSeconds();
        var current = now.ToUnixTimeSeconds();
        if (second > current || second <= current - _seconds)
        {
            return;
        }

        if (_lastSeen.TryGetValue(visitor, out var previous))
        {
            if (previous >= second)
            {
                return;
            }

            Decrement(previous);
        }
        else if (_lastSeen.Count >= maxVisitors)
        {
            return;
        }

        _lastSeen[visitor] = second;
        var slot = Slot(second);
        if (_secondOf[slot] != second)
        {
            _secondOf[slot] = second;
            _count[slot] = 0;
        }

        _count[slot]++;
    }

    /// <summary>Visitors whose last visit lies in the last <paramref name="window"/> (the current second included).</summary>
    public long Count(TimeSpan window, DateTimeOffset now)
    {
        var current = now.ToUnixTimeSeconds();
        Prune(current);
        var n = Math.Min((int)window.TotalSeconds, _seconds);
        long total = 0;
        for (var s = current - n + 1; s <= current; s++)
        {
            var slot = Slot(s);
            if (_secondOf[slot] == s)
            {
                total += _count[slot];
            }
        }

        return total;
    }

    internal void Save(BinaryWriter writer)
    {
        writer.Write(_lastSeen.Count);
        foreach (var (visitor, second) in _lastSeen)
        {
            writer.Write(visitor);
            writer.Write(second);
        }
    }

    /// <summary>Rebuilds the ring from the last-seen seconds, so nothing but the visitors is stored.</summary>
    internal void Load(BinaryReader reader)
    {
        _lastSeen.Clear();
        Array.Clear(_count);
        Array.Clear(_secondOf);
        _nextPrune = 0;
        var n = reader.ReadInt32();
        for (var i = 0; i < n; i++)
        {
            var (visitor, second) = (reader.ReadUInt64(), reader.ReadInt64());
            _lastSeen[visitor] = second;
            var slot = Slot(second);
            if (_secondOf[slot] != second)
            {
                if (_secondOf[slot] > second)
                {
                    continue; // a slot holds its newest second; older ones are outside the horizon anyway
                }

                _secondOf[slot] = second;
                _count[slot] = 0;
            }

            _count[slot]++;
        }
    }

    private void Decrement(long second)
    {
        var slot = Slot(second);
        if (_secondOf[slot] == second)
        {
            _count[slot]--;
        }
    }

    private void Prune(long current)
    {
        if (current < _nextPrune)
        {
            return;
        }

        _nextPrune = current + 60;
        var oldest = current - _seconds;
        List<ulong>? expired = null;
        foreach (var (visitor, seen) in _lastSeen)
        {
            if (seen <= oldest)
            {
                (expired ??= []).Add(visitor);
            }
        }

        foreach (var visitor in expired ?? [])
        {
            _lastSeen.Remove(visitor);
        }
    }

    private int Slot(long second) => (int)(((second % _count.Length) + _count.Length) % _count.Length);
}
