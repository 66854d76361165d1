using Confluent.Kafka;
using Microsoft.Extensions.Options;

namespace Clickstream.Consumer.Consuming;

/// <summary>
/// The group's rebalance policy, as the client's callbacks (they run on the consume thread, inside
/// <c>Consume</c>): an assigned partition starts where <see cref="StartingPositions"/> says (this process's
/// position, the checkpoint's offset, the beginning, or the committed offset); a revoked one is first drained
/// (what was handed to the apply thread is applied, within <see cref="ConsumerOptions.RevokeDrainTimeout"/>) and
/// its applied offsets stored, so the auto-commit (or the close's commit) hands the next owner exactly what
/// was applied. A lost partition (the session expired: another member may own it already) is treated the
/// same way; committing its offsets may then fail, and its next owner reads the rest again.
/// </summary>
public sealed partial class RebalanceHandler(
    StartingPositions starting,
    PendingOffsets pending,
    ConsumerMetrics metrics,
    IOptions<ConsumerOptions> options,
    ILogger<RebalanceHandler> logger)
{
    /// <summary>Sets the callbacks on a client being built.</summary>
    public void Attach(ConsumerBuilder<byte[]?, byte[]> builder)
    {
        builder.SetPartitionsAssignedHandler(Assigned);
        builder.SetPartitionsRevokedHandler(Revoked);
        builder.SetPartitionsLostHandler(Lost);
    }

    public IEnumerable<TopicPartitionOffset> Assigned(IConsumer<byte[]?, byte[]> consumer, List<TopicPartition> partitions) =>
        starting.Assigned(consumer, partitions);

    public void Revoked(IConsumer<byte[]?, byte[]> consumer, List<TopicPartitionOffset> partitions)
    {
        var timeout = options.Value.RevokeDrainTimeout;
        if (!pending.WaitUntilApplied(timeout))
        {
            LogDrainTimedOut(partitions.Count, timeout.TotalSeconds);
        }

        pending.Store(consumer, partitions.Select(p => p.TopicPartition));
        foreach (var p in partitions)
        {
            metrics.Unassigned(p.Partition.Value);
        }
    }

    public void Lost(IConsumer<byte[]?, byte[]> consumer, List<TopicPartitionOffset> partitions)
    {
        LogLost(partitions.Count);
        Revoked(consumer, partitions);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} partitions revoked before the events handed over were applied (waited {Seconds} s, Consumer:RevokeDrainTimeout); their next owner reads the rest again")]
    private partial void LogDrainTimedOut(int count, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} partitions lost (the group session expired); what was not committed is read again by their next owner")]
    private partial void LogLost(int count);
}
