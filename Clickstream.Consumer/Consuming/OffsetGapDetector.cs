using Confluent.Kafka;

namespace Clickstream.Consumer.Consuming;

/// <summary>
/// Notices offsets the consumer never saw: the emulator (and a real broker's retention) drops old
/// data, and a consumer that fell behind silently resets to the new start. Offsets of our topic are
/// contiguous, so any jump past the next expected offset is data lost before it was read.
/// </summary>
public sealed class OffsetGapDetector
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TopicPartition, long> _expected = [];

    /// <summary>Called on assignment: a partition continues from its committed offset.</summary>
    public void Assigned(IEnumerable<TopicPartitionOffset> committed)
    {
        lock (_gate)
        {
            foreach (var c in committed)
            {
                if (c.Offset.Value >= 0)
                {
                    _expected[c.TopicPartition] = c.Offset.Value;
                }
                else
                {
                    _expected.Remove(c.TopicPartition);
                }
            }
        }
    }

    /// <summary>Records a consumed offset; returns how many offsets were skipped before it.</summary>
    public long Observe(TopicPartitionOffset position)
    {
        lock (_gate)
        {
            var lost = _expected.TryGetValue(position.TopicPartition, out var expected) && position.Offset.Value > expected
                ? position.Offset.Value - expected
                : 0;
            _expected[position.TopicPartition] = position.Offset.Value + 1;
            return lost;
        }
    }
}
