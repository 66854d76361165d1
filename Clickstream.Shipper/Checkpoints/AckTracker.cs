namespace Clickstream.Shipper.Checkpoints;

/// <summary>
/// The checkpoint arithmetic of one file generation. Lines are sent in file order but acknowledged in
/// any order (partitions are independent); the safe position is the end of the longest run of
/// acknowledged lines from the last safe position. A restart resumes there: lines after it may be sent
/// twice, none is skipped.
/// </summary>
public sealed class AckTracker
{
    private readonly Lock _gate = new();
    // End offsets of lines sent, in file order, not yet folded into Committed.
    private readonly Queue<long> _pending = new();
    private readonly HashSet<long> _acknowledged = [];
    private long _lastSent;

    public AckTracker(long committed)
    {
        Committed = committed;
        _lastSent = committed;
    }

    /// <summary>Everything before this byte offset is acknowledged.</summary>
    public long Committed { get; private set; }

    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Records a line ending at <paramref name="endOffset"/> as sent. Lines must be recorded in file order.</summary>
    public void Sent(long endOffset)
    {
        lock (_gate)
        {
            if (endOffset <= _lastSent)
            {
                throw new ArgumentOutOfRangeException(nameof(endOffset), $"Line end {endOffset} is not after the previous one ({_lastSent}).");
            }

            _lastSent = endOffset;
            _pending.Enqueue(endOffset);
        }
    }

    /// <summary>Marks the line ending at <paramref name="endOffset"/> as done (acknowledged, or dead-lettered) and advances <see cref="Committed"/> as far as the run allows.</summary>
    public void Acknowledged(long endOffset)
    {
        lock (_gate)
        {
            _acknowledged.Add(endOffset);
            while (_pending.TryPeek(out var head) && _acknowledged.Remove(head))
            {
                _pending.Dequeue();
                Committed = head;
            }
        }
    }
}
