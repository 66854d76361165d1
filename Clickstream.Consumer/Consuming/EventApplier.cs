using System.Diagnostics;
using Clickstream.Consumer.Checkpoints;
using Clickstream.Consumer.Sink;
using Clickstream.Consumer.Stats;
using Clickstream.Contracts;
using Clickstream.ServiceDefaults.Kafka;
using Confluent.Kafka;

namespace Clickstream.Consumer.Consuming;

/// <summary>
/// The apply thread, the only writer of the state: takes the batches the consume thread hands over, counts
/// duplicates and malformed messages, notices offset gaps (counted lost), applies each event to the
/// aggregates, the recent list, the hourly sink and the lake, traces it as a child of the shipper's span,
/// records it in the event-id window and the checkpoint, and stores applied offsets in batches
/// (<see cref="PendingOffsets"/>). It captures checkpoints between events, and the last one when stopping.
/// </summary>
public sealed partial class EventApplier(
    IConsumer<byte[]?, byte[]> consumer,
    KafkaConsumerSettings settings,
    HandOver handOver,
    LiveStats stats,
    RecentEvents recent,
    HourlyJsonlSink sink,
    OffsetGapDetector gaps,
    PendingOffsets pending,
    DeduplicationWindow seen,
    StateCheckpointer checkpoints,
    Lake.EventLake lake,
    ConsumerMetrics metrics,
    TimeProvider time,
    ILogger<EventApplier> logger)
{
    private static readonly ActivitySource Source = new(ClickstreamConsumer.ActivitySourceName);

    /// <summary>
    /// Before either thread starts, so before the first assignment, which seeks to the restored offsets; and
    /// synchronous, so the API never serves the empty state of a process about to load its history.
    /// </summary>
    public void Restore()
    {
        if (lake.Enabled)
        {
            stats.Sites.Observer = lake;
        }

        checkpoints.Restore();
    }

    /// <summary>Applies until the consume thread completes the buffer; then captures the last checkpoint.</summary>
    public void Run(CancellationToken stoppingToken)
    {
        var reader = handOver.Reader;
        Task<bool>? waiting = null;
        while (true)
        {
            if (!reader.TryPeek(out _))
            {
                // Idle: the last events are checkpointed within an interval even when no more arrive.
                checkpoints.CaptureIfDue();
                waiting ??= reader.WaitToReadAsync(CancellationToken.None).AsTask();
                if (!waiting.Wait(checkpoints.Enabled ? checkpoints.Interval : Timeout.InfiniteTimeSpan, CancellationToken.None))
                {
                    continue;
                }

                var more = waiting.Result;
                waiting = null;
                if (!more)
                {
                    break;
                }
            }

            while (reader.TryRead(out var batch))
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    if (stoppingToken.IsCancellationRequested)
                    {
                        // Stopping: what is still buffered is dropped, not applied. Applying it would take as
                        // long as the buffer is deep (up to 16k events; seconds with tracing on, after an
                        // outage left a backlog) and hold up the last checkpoint. Its offsets are neither
                        // stored nor checkpointed (nor its ids, see DeduplicationWindow), so it is read again.
                        pending.Dropped(batch.Count - i);
                        break;
                    }

                    ApplyOne(batch[i], stoppingToken);
                }

                checkpoints.CaptureIfDue();

                if (reader.Count == 0)
                {
                    pending.Store(consumer); // caught up: nothing applied stays unstored
                }
            }
        }

        checkpoints.Final(); // what was applied, with its offsets, before the offsets are committed and the group left
    }

    private void ApplyOne(in Received received, CancellationToken stoppingToken)
    {
        var result = received.Result;
        // The client does not marshal the topic name (see AddClickstreamConsumer): one topic, ours.
        var position = new TopicPartitionOffset(settings.Topic, result.Partition, result.Offset);
        try
        {
            Apply(received, position, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping while the sink was full: the event counted, its sink line is lost.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug on one message must not become a crash loop: count it, log where it is, go on.
            stats.MalformedSkipped();
            metrics.Malformed();
            LogApplyFailed(ex, position.Partition.Value, position.Offset.Value);
        }

        if (received.Admission == Admission.New)
        {
            seen.Applied();
        }

        checkpoints.Applied(position.Partition.Value, position.Offset.Value);
        if (pending.Applied(position))
        {
            pending.Store(consumer);
        }
    }

    private void Apply(in Received received, TopicPartitionOffset position, CancellationToken cancellationToken)
    {
        var result = received.Result;
        using var activity = StartApplyActivity(result, position);
        CheckForGap(position);
        if (received.Admission == Admission.Duplicate)
        {
            stats.DuplicateDropped();
            metrics.Duplicate();
            activity?.SetTag("clickstream.duplicate", true);
            return;
        }

        if (received.Click is not { } click)
        {
            stats.MalformedSkipped();
            metrics.Malformed();
            activity?.SetStatus(ActivityStatusCode.Error, "malformed");
            LogMalformed(result.Partition.Value, result.Offset.Value);
            return;
        }

        if (lake.Enabled)
        {
            lake.At(result.Partition.Value, result.Offset.Value, received.EventId is { } id ? System.Text.Encoding.ASCII.GetString(id) : null);
        }

        var value = result.Message.Value;
        stats.Apply(click);
        recent.Add(value, result.Partition.Value, result.Offset.Value);
        if (sink.Enabled && !gaps.IsReplay(position))
        {
            sink.Write(value, cancellationToken);
        }

        metrics.Applied(result.Partition.Value, click.Time is { } hitTime ? time.GetUtcNow() - hitTime : null);
    }

    /// <summary>The "apply" span continues the shipper's trace; nothing is parsed or allocated when nobody listens.</summary>
    private static Activity? StartApplyActivity(ConsumeResult<byte[]?, byte[]> result, TopicPartitionOffset position)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        ActivityContext parent = default;
        if (result.Message.Headers?.TryGetLastBytes(KafkaHeaders.TraceParent, out var traceParent) == true)
        {
            TraceParent.TryParse(traceParent, out parent);
        }

        var activity = Source.StartActivity("apply", ActivityKind.Consumer, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.destination.name", position.Topic);
            activity.SetTag("messaging.destination.partition.id", result.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag("messaging.kafka.offset", result.Offset.Value);
        }

        return activity;
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped a malformed message at partition {Partition} offset {Offset}")]
    private partial void LogMalformed(int partition, long offset);

    [LoggerMessage(Level = LogLevel.Error, Message = "Applying the message at partition {Partition} offset {Offset} failed; skipped")]
    private partial void LogApplyFailed(Exception exception, int partition, long offset);

    [LoggerMessage(Level = LogLevel.Error, Message = "Partition {Partition} jumped from offset {Expected} to {Offset}: the broker dropped events before they were read")]
    private partial void LogLost(int partition, long expected, long offset);
}
