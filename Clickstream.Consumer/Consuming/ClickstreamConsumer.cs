using System.Text;
using Clickstream.Consumer.Stats;
using Clickstream.ServiceDefaults.Kafka;
using Confluent.Kafka;

namespace Clickstream.Consumer.Consuming;

/// <summary>
/// The consume loop: at-least-once (an offset is stored only after its event was applied; the client
/// commits stored offsets), duplicates dropped by the shipper's event id, malformed messages counted
/// and skipped, and gaps in offsets (the broker dropped data we had not read) counted as lost.
/// </summary>
public sealed partial class ClickstreamConsumer(
    IConsumer<byte[]?, byte[]> consumer,
    KafkaConsumerSettings settings,
    LiveStats stats,
    OffsetGapDetector gaps,
    ConsumerMetrics metrics,
    TimeProvider time,
    ILogger<ClickstreamConsumer> logger) : BackgroundService
{
    private const string EventIdHeader = "event-id";
    private const int DeduplicationCapacity = 1_000_000;

    private readonly DeduplicationWindow _seen = new(DeduplicationCapacity);

    // A blocking loop belongs on its own thread, not in an async method.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Run(() => ConsumeLoop(stoppingToken), CancellationToken.None);

    private void ConsumeLoop(CancellationToken stoppingToken)
    {
        consumer.Subscribe(settings.Topic);
        LogSubscribed(settings.Topic);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ConsumeResult<byte[]?, byte[]>? result;
                try
                {
                    result = consumer.Consume(stoppingToken);
                }
                catch (ConsumeException ex)
                {
                    LogConsumeError(ex.Error.Code, ex.Error.Reason);
                    continue;
                }

                if (result is null || result.IsPartitionEOF)
                {
                    continue;
                }

                Apply(result);
                consumer.StoreOffset(result);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Commits what was stored and leaves the group at once, instead of waiting out the session.
            consumer.Close();
        }
    }

    private void Apply(ConsumeResult<byte[]?, byte[]> result)
    {
        CheckForGap(result.TopicPartitionOffset);
        if (result.Message.Headers?.TryGetLastBytes(EventIdHeader, out var id) == true && !_seen.TryAdd(Encoding.ASCII.GetString(id)))
        {
            stats.DuplicateDropped();
            metrics.Duplicate();
            return;
        }

        var click = result.Message.Value is { } value ? ClickEvent.Parse(value) : null;
        if (click is null)
        {
            stats.MalformedSkipped();
            metrics.Malformed();
            LogMalformed(result.Partition.Value, result.Offset.Value);
            return;
        }

        stats.Apply(click);
        metrics.Applied(time.GetUtcNow() - result.Message.Timestamp.UtcDateTime);
    }

    private void CheckForGap(TopicPartitionOffset position)
    {
        var lost = gaps.Observe(position);
        if (lost > 0)
        {
            stats.Lost(lost);
            metrics.Lost(lost);
            LogLost(position.Partition.Value, position.Offset.Value - lost, position.Offset.Value);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Topic}")]
    private partial void LogSubscribed(string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consume error {Code}: {Reason}")]
    private partial void LogConsumeError(ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped a malformed message at partition {Partition} offset {Offset}")]
    private partial void LogMalformed(int partition, long offset);

    [LoggerMessage(Level = LogLevel.Error, Message = "Partition {Partition} jumped from offset {Expected} to {Offset}: the broker dropped events before they were read")]
    private partial void LogLost(int partition, long expected, long offset);
}
