using Confluent.Kafka;

namespace Clickstream.Consumer.Consuming;

/// <summary>
/// Between the consume thread and the apply thread: counts what was handed over and what was applied,
/// and keeps the offsets of applied events not yet handed to the client. Storing an offset costs a
/// native call per message (it took a bare consumer from 280k to 164k messages/s here), so the latest
/// applied offset per partition is stored in batches: every <see cref="BatchSize"/> events, when the
/// buffer runs empty, on revocation (after the buffer drained) and on shutdown. Still at-least-once:
/// only applied offsets are stored; a crash replays at most a batch, which the event-id window drops.
/// </summary>
public sealed class PendingOffsets
{
    public const int BatchSize = 2_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<TopicPartition, long> _next = [];
    private int _count;
    private long _enqueued;
    private long _applied;

    /// <summary>Consume thread: messages handed to the apply thread.</summary>
    public void Enqueued(int count) => Interlocked.Add(ref _enqueued, count);

    /// <summary>Apply thread: a message was applied (or skipped); true when a batch is due.</summary>
    public bool Applied(TopicPartitionOffset position)
    {
        lock (_gate)
        {
            _next[position.TopicPartition] = position.Offset.Value + 1;
            Interlocked.Increment(ref _applied);
            return ++_count >= BatchSize;
        }
    }

    /// <summary>
    /// Apply thread, stopping: messages handed over but not applied. Settled for <see cref="WaitUntilApplied"/>
    /// (which the close's revocation calls) though nothing is stored for them: they are read again.
    /// </summary>
    public void Dropped(int count) => Interlocked.Add(ref _applied, count);

    /// <summary>Waits until everything handed over was applied (the apply thread drained the buffer).</summary>
    public bool WaitUntilApplied(TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var spin = new SpinWait();
        while (Interlocked.Read(ref _applied) < Interlocked.Read(ref _enqueued))
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            spin.SpinOnce(sleep1Threshold: 20);
        }

        return true;
    }

    /// <summary>Stores the pending offsets (of <paramref name="only"/> when given) with the client; thread-safe.</summary>
    public void Store(IConsumer<byte[]?, byte[]> consumer, IEnumerable<TopicPartition>? only = null)
    {
        lock (_gate)
        {
            if (_next.Count == 0)
            {
                return;
            }

            foreach (var partition in only?.Where(_next.ContainsKey).ToList() ?? [.. _next.Keys])
            {
                try
                {
                    consumer.StoreOffset(new TopicPartitionOffset(partition, _next[partition]));
                }
                catch (KafkaException)
                {
                    // No longer assigned: its new owner re-reads from the last commit, and deduplicates.
                }

                _next.Remove(partition);
            }

            _count = 0;
        }
    }
}
