using Clickstream.Shipper.Delivery;

namespace Clickstream.Shipper.Checkpoints;

/// <summary>
/// What a finalization moved the checkpoint over: the lines that had been sent (and their bytes), whose room in the
/// sink's in-flight window is now free. Lines the source finalized itself (dead-lettered, empty) are not counted.
/// </summary>
public readonly record struct FoldedLines(int Lines, long Bytes);

/// <summary>
/// The checkpoint arithmetic of one file generation. The source records each line as it reads it
/// (<see cref="Track"/>), in file order; lines are finalized in any order (partitions are independent); the safe
/// position is the end of the longest run of finalized lines from the last safe position. A restart resumes there:
/// lines after it may be sent twice, none is skipped.
/// </summary>
/// <remarks>
/// The tracker only folds finalizations: it calls nothing back. What a finalization folded is its return value, and
/// the sink frees that room of its in-flight window then, not at each acknowledgement: so what was sent and not
/// checkpointed (what a restart sends again) never exceeds the window, even when one slow line holds the checkpoint
/// back while later lines are acknowledged. The lines sit in a ring in file order, so their end offsets are sorted: a
/// finalization finds its line by binary search and sets a flag, and the head of the ring folds into
/// <see cref="Committed"/> while it is finalized. No hashing, no allocation per line.
/// </remarks>
public sealed class AckTracker
{
    private readonly Lock _gate = new();
    private long[] _ends = new long[1024];
    private bool[] _finalized = new bool[1024];
    private long[] _windowBytes = new long[1024]; // what the line holds of the sink's in-flight window once sent; -1: never sent
    private int _head; // index of the oldest line not folded into Committed
    private int _count;
    private long _lastTracked;
    private long _committed;
    private long _delivered;
    private long _rejected;
    private long _dropped;

    public AckTracker(long committed)
    {
        _committed = committed;
        _lastTracked = committed;
    }

    /// <summary>Every line before this byte offset is finalized.</summary>
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
    /// Records a line the source read, ending at <paramref name="endOffset"/>, before it is handed on or finalized;
    /// <paramref name="windowBytes"/> is what it will hold of the sink's in-flight window once sent (-1: it is never
    /// sent, e.g. a dead-lettered line). Lines must be tracked in file order.
    /// </summary>
    public void Track(long endOffset, long windowBytes = -1)
    {
        lock (_gate)
        {
            if (endOffset <= _lastTracked)
            {
                throw new ArgumentOutOfRangeException(nameof(endOffset), $"Line end {endOffset} is not after the previous one ({_lastTracked}).");
            }

            if (_count == _ends.Length)
            {
                Grow();
            }

            var slot = (_head + _count) % _ends.Length;
            _ends[slot] = endOffset;
            _finalized[slot] = false;
            _windowBytes[slot] = windowBytes;
            _count++;
            _lastTracked = endOffset;
        }
    }

    /// <summary>
    /// The finalizer of the line ending at <paramref name="endOffset"/>: records its final outcome and advances
    /// <see cref="Committed"/> as far as the run of finalized lines allows; returns the sent lines it moved over.
    /// <see cref="DeliveryOutcome.Errored"/> is not final (the line is being sent again) and is refused.
    /// </summary>
    public FoldedLines Finalized(long endOffset, DeliveryOutcome outcome)
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
                return default; // not pending: already folded in, or never tracked
            }

            if (_finalized[(_head + index) % _ends.Length])
            {
                return default; // finalized already
            }

            _finalized[(_head + index) % _ends.Length] = true;
            Interlocked.Increment(ref outcome == DeliveryOutcome.Delivered ? ref _delivered : ref outcome == DeliveryOutcome.Rejected ? ref _rejected : ref _dropped);
            while (_count > 0 && _finalized[_head])
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

        return new FoldedLines(messages, bytes);
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
        var finalized = new bool[_ends.Length * 2];
        var windowBytes = new long[_ends.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            ends[i] = _ends[(_head + i) % _ends.Length];
            finalized[i] = _finalized[(_head + i) % _ends.Length];
            windowBytes[i] = _windowBytes[(_head + i) % _ends.Length];
        }

        _ends = ends;
        _finalized = finalized;
        _windowBytes = windowBytes;
        _head = 0;
    }
}
