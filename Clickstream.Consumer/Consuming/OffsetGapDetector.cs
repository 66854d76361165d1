using Confluent.Kafka;

namespace Clickstream.Consumer.Consuming;

/// <summary>
/// Knows the next offset this process expects per partition, and so notices offsets it never saw:
/// the emulator (and a real broker's retention) drops old data, and a consumer that fell behind
/// silently resets to the new start. Offsets of our topic are contiguous, so any jump past the next
/// expected offset is data lost before it was read.
/// </summary>
public sealed class OffsetGapDetector
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TopicPartition, long> _expected = [];
    private readonly Dictionary<TopicPartition, long> _committedAtStart = [];

    /// <summary>
    /// Remembers the group's committed offsets when a partition is first replayed from the beginning:
    /// events below them were applied by an earlier process (see <see cref="IsReplay"/>).
    /// </summary>
    public void Replaying(IEnumerable<TopicPartitionOffset> committed)
    {
        lock (_gate)
        {
            foreach (var c in committed)
            {
                if (c.Offset.Value >= 0)
                {
                    _committedAtStart.TryAdd(c.TopicPartition, c.Offset.Value);
                }
            }
        }
    }

    /// <summary>True for an event an earlier process already applied (below the offset committed when we started).</summary>
    public bool IsReplay(TopicPartitionOffset position)
    {
        lock (_gate)
        {
            return _committedAtStart.TryGetValue(position.TopicPartition, out var committed) && position.Offset.Value < committed;
        }
    }

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

    /// <summary>The next offset this process will apply on a partition, null when it has read none there.</summary>
    public long? Position(TopicPartition partition)
    {
        lock (_gate)
        {
            return _expected.TryGetValue(partition, out var next) ? next : null;
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
