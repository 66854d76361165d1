namespace Clickstream.Consumer.Consuming;

/// <summary>
/// Remembers the last <c>capacity</c> event ids, so a line the shipper sent twice (after a restart,
/// or a retry whose first attempt did land) is counted once.
/// </summary>
public sealed class DeduplicationWindow(int capacity)
{
    private readonly HashSet<string> _seen = new(capacity, StringComparer.Ordinal);
    private readonly Queue<string> _order = new(capacity);

    public int Count => _seen.Count;

    /// <summary>True the first time an id is seen within the window.</summary>
    public bool TryAdd(string eventId)
    {
        if (!_seen.Add(eventId))
        {
            return false;
        }

        _order.Enqueue(eventId);
        if (_order.Count > capacity)
        {
            _seen.Remove(_order.Dequeue());
        }

        return true;
    }
}
