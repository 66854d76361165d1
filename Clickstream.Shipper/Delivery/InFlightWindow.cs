namespace Clickstream.Shipper.Delivery;

/// <summary>
/// The sink's in-flight window: bounds what is sent and not yet checkpointable (not acknowledged, or acknowledged behind
/// a line that is not), in messages and bytes. When the broker stalls the window fills and the sender waits here, the
/// buffer behind it fills and the tails wait for the buffer: an outage stops reading instead of growing memory.
/// </summary>
public sealed class InFlightWindow(int maxMessages, long maxBytes)
{
    private readonly Lock _gate = new();
    private readonly Queue<(long Bytes, TaskCompletionSource Waiter)> _waiters = new();
    private int _messages;
    private long _bytes;

    public int Messages => Volatile.Read(ref _messages);

    public long Bytes => Interlocked.Read(ref _bytes);

    public ValueTask WaitAsync(long bytes, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_waiters.Count == 0 && Fits(bytes))
            {
                Take(bytes);
                return ValueTask.CompletedTask;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue((bytes, waiter));
        }

        return new ValueTask(waiter.Task.WaitAsync(cancellationToken));
    }

    /// <summary>Frees what <paramref name="messages"/> lines of <paramref name="bytes"/> held (when their checkpoint advanced).</summary>
    public void Release(int messages, long bytes)
    {
        List<TaskCompletionSource>? ready = null;
        lock (_gate)
        {
            _messages -= messages;
            _bytes -= bytes;
            while (_waiters.TryPeek(out var next) && Fits(next.Bytes))
            {
                _waiters.Dequeue();
                Take(next.Bytes);
                (ready ??= []).Add(next.Waiter);
            }
        }

        ready?.ForEach(w => w.TrySetResult());
    }

    // One message always fits in an empty window, however large.
    private bool Fits(long bytes) => _messages == 0 || (_messages < maxMessages && _bytes + bytes <= maxBytes);

    private void Take(long bytes)
    {
        _messages++;
        _bytes += bytes;
    }
}
