using Clickstream.Consumer.Checkpoints;
using Confluent.Kafka;
using Microsoft.Extensions.Options;

namespace Clickstream.Consumer.Consuming;

/// <summary>
/// Where each newly assigned partition starts (the assignment handler returns it, which is how
/// librdkafka seeks at assignment). In order: where this process left it (a partition assigned again);
/// the offset of the checkpoint the state was restored from, unless the partition now ends before it;
/// the beginning when the state was restored but has nothing of the partition, or when replaying
/// (no checkpoint: the in-memory aggregates are rebuilt, the event-id window keeps that exact);
/// else the group's committed offset.
/// <para>
/// A partition whose end (high watermark) lies before its checkpointed offset belongs to a new topic:
/// the embedded emulator forgets its topic when the AppHost restarts, and a recreated hub starts at 0
/// too. Nothing of it was lost; its history stays in the state and its events are new, so it is read
/// from offset 0 with no gap reported, logged and counted (<c>consumer.partition.restarted</c>). A new
/// topic that had already grown past the checkpointed offset before the consumer started cannot be
/// told apart by offsets alone; its events up to that offset would be taken as counted.
/// </para>
/// </summary>
public sealed partial class StartingPositions(
    OffsetGapDetector gaps,
    StateCheckpointer checkpoints,
    CheckpointMetrics metrics,
    IOptions<ConsumerOptions> options,
    ILogger<StartingPositions> logger)
{
    public IEnumerable<TopicPartitionOffset> Assigned(IConsumer<byte[]?, byte[]> consumer, List<TopicPartition> partitions)
    {
        if (checkpoints.Restored is { } restored)
        {
            return [.. partitions.Select(p => FromCheckpoint(consumer, p, restored))];
        }

        List<TopicPartitionOffset> committed = [];
        try
        {
            committed = consumer.Committed(partitions, options.Value.AssignmentQueryTimeout);
        }
        catch (KafkaException)
        {
            // Without committed offsets the first message of each partition sets the baseline.
        }

        if (!options.Value.ReplayOnStart)
        {
            gaps.Assigned(committed);
            return partitions.Select(p => new TopicPartitionOffset(p, Offset.Unset));
        }

        gaps.Replaying(committed);
        return partitions.Select(p => new TopicPartitionOffset(p, gaps.Position(p) is { } next ? new Offset(next) : Offset.Beginning));
    }

    private TopicPartitionOffset FromCheckpoint(IConsumer<byte[]?, byte[]> consumer, TopicPartition partition, IReadOnlyDictionary<int, long> restored)
    {
        if (gaps.Position(partition) is { } position)
        {
            return new TopicPartitionOffset(partition, position);
        }

        if (!restored.TryGetValue(partition.Partition.Value, out var next))
        {
            gaps.Assigned([new TopicPartitionOffset(partition, 0)]);
            return new TopicPartitionOffset(partition, Offset.Beginning);
        }

        long? high = null;
        try
        {
            high = consumer.QueryWatermarkOffsets(partition, options.Value.AssignmentQueryTimeout).High.Value;
        }
        catch (KafkaException ex)
        {
            // Unknown end: trust the checkpoint (a smaller topic then shows as an offset reset, counted lost).
            LogWatermarkUnknown(partition.Partition.Value, ex.Error.Reason);
        }

        if (high is { } end && end >= 0 && end < next)
        {
            metrics.PartitionRestarted();
            checkpoints.Restarted(partition.Partition.Value);
            LogRestarted(partition.Partition.Value, next, end);
            gaps.Assigned([new TopicPartitionOffset(partition, 0)]);
            return new TopicPartitionOffset(partition, Offset.Beginning);
        }

        gaps.Assigned([new TopicPartitionOffset(partition, next)]);
        return new TopicPartitionOffset(partition, next);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition {Partition} ends at {End}, before its checkpointed offset {Checkpointed}: a new topic. History kept; reading it from offset 0")]
    private partial void LogRestarted(int partition, long checkpointed, long end);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The end of partition {Partition} is unknown ({Reason}); continuing at its checkpointed offset")]
    private partial void LogWatermarkUnknown(int partition, string reason);
}
