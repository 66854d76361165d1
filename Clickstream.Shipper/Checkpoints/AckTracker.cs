using Clickstream.Shipper.Delivery;

namespace Clickstream.Shipper.Checkpoints;

/// <summary>
/// The checkpoint arithmetic of one file generation. Lines are sent in file order but acknowledged in
/// any order (partitions are independent); the safe position is the end of the longest run of
/// acknowledged lines from the last safe position. A restart resumes there: lines after it may be sent
/// twice, none is skipped.
/// </summary>
/// <remarks>
/// The in-flight window is released here, when lines fold into <see cref="Committed"/>, not at each
/// acknowledgement: so what was read and not checkpointed (what a restart sends again) never exceeds
/// the window, even when one slow line holds the checkpoint back while later lines are acknowledged.
/// The lines in flight sit in a ring in file order, so their end offsets are sorted: an acknowledgement
/// finds its line by binary search and sets a flag, and the head of the ring folds into
/// <see cref="Committed"/> while it is acknowledged. No hashing, no allocation per line.
/// </remarks>
public sealed class AckTracker
{
    private readonly Lock _gate = new();
    private long[] _ends = new long[1024];
    private bool[] _acknowledged = new bool[1024];
    private long[] _windowBytes = new long[1024]; // what the line holds of the in-flight window; -1 when none
    private readonly Action<int, long>? _released;
    private int _head; // index of the oldest line not folded into Committed
    private int _count;
    private long _lastSent;
    private long _committed;
    private long _delivered;
    private long _rejected;
    private long _dropped;

    /// <param name="released">Called (outside the lock) with the lines and bytes of the in-flight window that a commit frees.</param>
    public AckTracker(long committed, Action<int, long>? released = null)
    {
        _released = released;
        _committed = committed;
        _lastSent = committed;
    }

    /// <summary>Everything before this byte offset is acknowledged.</summary>
    public long Committed => Volatile.Read(ref _committed);

    /// <summary>Lines finalized as <see cref="DeliveryOutcome.Delivered"/> (the broker acknowledged them).</summary>
    public long DeliveredCount => Interlocked.Read(ref _delivered);

    /// <summary>Lines finalized as <see cref="DeliveryOutcome.Rejected"/> (dead-lettered): past the checkpoint, not delivered.</summary>
    public long RejectedCount => Interlocked.Read(ref _rejected);

    /// <summary>Lines finalized as <see cref="DeliveryOutcome.Dropped"/> (nothing to send).</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>
    /// Records a line ending at <paramref name="endOffset"/> as sent; <paramref name="windowBytes"/> is what it
    /// holds of the in-flight window (-1: none, e.g. a dead-lettered line). Lines must be recorded in file order.
    /// </summary>
    public void Sent(long endOffset, long windowBytes = -1)
    {
        lock (_gate)
        {
            if (endOffset <= _lastSent)
            {
                throw new ArgumentOutOfRangeException(nameof(endOffset), $"Line end {endOffset} is not after the previous one ({_lastSent}).");
            }

            if (_count == _ends.Length)
            {
                Grow();
            }

            var slot = (_head + _count) % _ends.Length;
            _ends[slot] = endOffset;
            _acknowledged[slot] = false;
            _windowBytes[slot] = windowBytes;
            _count++;
            _lastSent = endOffset;
        }
    }

    /// <summary>
    /// The finalizer of the line ending at <paramref name="endOffset"/>: records its final outcome and advances
    /// <see cref="Committed"/> as far as the run of finalized lines allows. <see cref="DeliveryOutcome.Errored"/> is not
    /// final (the line is being sent again) and is refused.
    /// </summary>
    public void Finalized(long endOffset, DeliveryOutcome outcome)
    {
        if (outcome is not (DeliveryOutcome.Delivered or DeliveryOutcome.Rejected or DeliveryOutcome.Dropped))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Only a final outcome moves the checkpoint.");
        }

        var messages = 0;
        long bytes = 0;
        lock (_gate)
        {
            var index = Find(endOffset);
            if (index < 0)
            {
                return; // not in flight: already folded in, or never sent
            }

            if (_acknowledged[(_head + index) % _ends.Length])
            {
                return; // finalized already
            }

            _acknowledged[(_head + index) % _ends.Length] = true;
            Interlocked.Increment(ref outcome == DeliveryOutcome.Delivered ? ref _delivered : ref outcome == DeliveryOutcome.Rejected ? ref _rejected : ref _dropped);
            while (_count > 0 && _acknowledged[_head])
            {
                Volatile.Write(ref _committed, _ends[_head]);
                if (_windowBytes[_head] >= 0)
                {
                    messages++;
                    bytes += _windowBytes[_head];
                }

                _head = (_head + 1) % _ends.Length;
                _count--;
            }
        }

        if (messages > 0)
        {
            _released?.Invoke(messages, bytes);
        }
    }

    /// <summary>Position of <paramref name="endOffset"/> among the lines in flight (0 = oldest), or -1.</summary>
    private int Find(long endOffset)
    {
        int low = 0, high = _count - 1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            var value = _ends[(_head + middle) % _ends.Length];
            if (value == endOffset)
            {
                return middle;
            }

            if (value < endOffset)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return -1;
    }

    private void Grow()
    {
        var ends = new long[_ends.Length * 2];
        var acknowledged = new bool[_ends.Length * 2];
        var windowBytes = new long[_ends.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            ends[i] = _ends[(_head + i) % _ends.Length];
            acknowledged[i] = _acknowledged[(_head + i) % _ends.Length];
            windowBytes[i] = _windowBytes[(_head + i) % _ends.Length];
        }

        _ends = ends;
        _acknowledged = acknowledged;
        _windowBytes = windowBytes;
        _head = 0;
    }
}
