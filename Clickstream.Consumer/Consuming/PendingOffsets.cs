using Confluent.Kafka;

namespace Clickstream.Consumer.Consuming;

/// <summary>
/// Offsets of applied events not yet handed to the client. Storing an offset costs a native call
/// per message (it took a bare consumer from 280k to 164k messages/s here), so the loop stores the
/// latest applied offset per partition in batches: every <see cref="BatchSize"/> events, when the
/// topic is idle, on revocation and on shutdown. Still at-least-once: only applied offsets are stored;
/// a crash replays at most one batch, which the event-id window drops.
/// Used from the consume thread only (rebalance handlers run inside <c>Consume</c>).
/// </summary>
public sealed class PendingOffsets
{
    public const int BatchSize = 2_000;

    private readonly Dictionary<TopicPartition, long> _next = [];
    private int _count;

    /// <summary>Records an applied event; true when a batch is due.</summary>
    public bool Applied(TopicPartitionOffset position)
    {
        _next[position.TopicPartition] = position.Offset.Value + 1;
        return ++_count >= BatchSize;
    }

    /// <summary>Stores the pending offsets (of <paramref name="only"/> when given) with the client.</summary>
    public void Store(IConsumer<byte[]?, byte[]> consumer, IEnumerable<TopicPartition>? only = null)
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
