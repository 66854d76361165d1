using System.Diagnostics.Metrics;
using Clickstream.Consumer.Consuming;

namespace Clickstream.Consumer.Checkpoints;

/// <summary>The checkpoints' instruments (meter <c>Clickstream.Consumer</c>), each readable back for <c>/api/checkpoint</c>.</summary>
public sealed class CheckpointMetrics
{
    private long _written;
    private long _failed;
    private long _corrupt;
    private long _restartedPartitions;
    private long _lastBytes;
    private double _lastCaptureMs;
    private double _lastWriteMs;

    public CheckpointMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(ConsumerMetrics.MeterName);
        meter.CreateObservableCounter("consumer.checkpoint.written", () => Written, "{checkpoint}", "State checkpoints written with their offsets.");
        meter.CreateObservableCounter("consumer.checkpoint.failed", () => Failed, "{checkpoint}", "Checkpoint writes that failed (the next one retries).");
        meter.CreateObservableCounter("consumer.checkpoint.corrupt", () => Corrupt, "{checkpoint}",
            "Checkpoints found unreadable at start (partial, altered, other version); an older one was used.");
        meter.CreateObservableCounter("consumer.partition.restarted", () => RestartedPartitions, "{partition}",
            "Partitions found behind their checkpoint (a new topic or hub): counted again from offset 0, history kept.");
        meter.CreateObservableGauge("consumer.checkpoint.size", () => LastBytes, "By", "Bytes of the last checkpoint.");
        meter.CreateObservableGauge("consumer.checkpoint.capture.duration", () => LastCaptureMs, "ms",
            "Time the apply thread paused to capture the last checkpoint.");
        meter.CreateObservableGauge("consumer.checkpoint.write.duration", () => LastWriteMs, "ms", "Time the last checkpoint took to store (off the apply thread).");
    }

    public long Written => Interlocked.Read(ref _written);

    public long Failed => Interlocked.Read(ref _failed);

    public long Corrupt => Interlocked.Read(ref _corrupt);

    public long RestartedPartitions => Interlocked.Read(ref _restartedPartitions);

    public long LastBytes => Interlocked.Read(ref _lastBytes);

    public double LastCaptureMs => Volatile.Read(ref _lastCaptureMs);

    public double LastWriteMs => Volatile.Read(ref _lastWriteMs);

    public void Captured(long bytes, double ms)
    {
        Interlocked.Exchange(ref _lastBytes, bytes);
        Volatile.Write(ref _lastCaptureMs, ms);
    }

    public void WrittenIn(double ms)
    {
        Interlocked.Increment(ref _written);
        Volatile.Write(ref _lastWriteMs, ms);
    }

    public void WriteFailed() => Interlocked.Increment(ref _failed);

    public void CorruptFound() => Interlocked.Increment(ref _corrupt);

    public void PartitionRestarted() => Interlocked.Increment(ref _restartedPartitions);
}
