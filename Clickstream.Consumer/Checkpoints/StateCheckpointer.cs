using System.Diagnostics;
using Clickstream.Consumer.Consuming;
using Clickstream.Consumer.Stats;
using Clickstream.ServiceDefaults.Kafka;
using Microsoft.Extensions.Options;

namespace Clickstream.Consumer.Checkpoints;

/// <summary>What <c>/api/checkpoint</c> shows.</summary>
public sealed record CheckpointStatus(
    bool Enabled,
    string? Location,
    long? RestoredSequence,
    long RestoredPosition,
    long Position,
    long Written,
    long Failed,
    long Corrupt,
    long RestartedPartitions,
    long LastBytes,
    double LastCaptureMs,
    double LastWriteMs);

/// <summary>
/// The aggregates and the offsets they reflect, saved together as Kafka Streams and Flink do: the apply
/// thread, the only writer of the state, captures both at one point between two events (so a checkpoint
/// never holds half an event), every <see cref="CheckpointOptions.Interval"/> while events arrive and at
/// shutdown; the bytes are stored off that thread. On start the newest checkpoint that decodes is loaded
/// and each partition continues at its offset (<see cref="StartingPositions"/>): totals stay exact with
/// no replay, and no event counts twice, since the state holds exactly the events below those offsets.
/// An unreadable checkpoint is logged, counted, and the previous one is used.
/// </summary>
public sealed partial class StateCheckpointer(
    IOptions<CheckpointOptions> options,
    KafkaConsumerSettings settings,
    LiveStats stats,
    DeduplicationWindow seen,
    CheckpointMetrics metrics,
    Lake.EventLake lake,
    ILogger<StateCheckpointer> logger)
{
    private readonly CheckpointOptions _options = options.Value;
    private readonly ICheckpointStore? _store = options.Value.CreateStore();
    private readonly Lock _gate = new();
    private readonly Dictionary<int, long> _next = [];
    private Dictionary<int, long>? _restored;
    private long? _restoredSequence;
    private long _restoredPosition;
    private long _sequence;
    private long _lastWritten;
    private bool _dirty;
    private long _due;
    // One buffer for every capture (the next capture waits for the write of the last): a checkpoint of tens of
    // megabytes no longer grows a new array by doubling and copies it out each time, garbage that the GC's large
    // object heap kept around between full collections.
    private readonly MemoryStream _buffer = new(1 << 16);
    private Task _writing = Task.CompletedTask;

    public bool Enabled => _store is not null;

    public TimeSpan Interval => _options.Interval;

    /// <summary>The offsets of the checkpoint loaded at start (next offset per partition); null when none was.</summary>
    public IReadOnlyDictionary<int, long>? Restored => _restored;

    /// <summary>Events applied and duplicates dropped as the restored checkpoint had them (both 0 without one).</summary>
    public (long Events, long Duplicates) RestoredCounts { get; private set; }

    /// <summary>
    /// What was counted before the current topic began (a topic that started over keeps its history): the
    /// pixel and shipper count only what this topic carries, so the reconciliation leaves this out.
    /// </summary>
    public (long Events, long Duplicates) TopicBase { get; private set; }

    private bool _topicRestarted;

    /// <summary>Loads the newest sound checkpoint into the aggregates; false when there is none.</summary>
    public bool Restore()
    {
        if (_store is null)
        {
            return false;
        }

        var names = _store.List().Select(n => (Name: n, Sequence: CheckpointFormat.SequenceOf(n))).Where(n => n.Sequence is not null)
            .OrderByDescending(n => n.Sequence).ToList();
        _sequence = names.Count == 0 ? 0 : names[0].Sequence!.Value;
        foreach (var (name, sequence) in names)
        {
            var bytes = _store.Read(name);
            string? problem = "gone while reading";
            if (bytes is null || CheckpointFormat.Decode(bytes, out problem, out var version) is not { } payload)
            {
                metrics.CorruptFound();
                LogCorrupt(name, problem ?? "unreadable");
                continue;
            }

            var started = Stopwatch.GetTimestamp();
            using var stream = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(payload, out var array)
                ? new MemoryStream(array.Array!, array.Offset, array.Count, writable: false)
                : new MemoryStream(payload.ToArray(), writable: false);
            using var reader = new CheckpointReader(stream, version);
            var offsets = Load(reader);
            lock (_gate)
            {
                _restored = offsets;
                foreach (var (partition, next) in offsets)
                {
                    _next[partition] = next;
                }
            }

            _restoredSequence = sequence;
            _lastWritten = sequence!.Value; // stored: the lake's waiting parts are published from it without new events
            if (lake.Enabled)
            {
                lake.Restored(sequence);
            }

            var restored = stats.Snapshot();
            RestoredCounts = (restored.TotalEvents, restored.DuplicatesDropped);
            _restoredPosition = offsets.Values.Sum();
            LogRestored(name, bytes.Length, offsets.Count, _restoredPosition, stats.TotalEvents, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return true;
        }

        if (lake.Enabled)
        {
            lake.Restored(null);
        }

        LogNone(_store.Location);
        return false;
    }

    /// <summary>Apply thread: an event (applied, dropped as a duplicate, or skipped) is now part of the state.</summary>
    public void Applied(int partition, long offset)
    {
        if (_store is null)
        {
            return;
        }

        lock (_gate)
        {
            _next[partition] = offset + 1;
            _dirty = true;
        }
    }

    /// <summary>A partition found behind its checkpoint (a new topic) continues from its start.</summary>
    public void Restarted(int partition)
    {
        lock (_gate)
        {
            _next.Remove(partition);
            _dirty = true;
            lake.Restarted(partition);
            if (!_topicRestarted)
            {
                _topicRestarted = true;
                TopicBase = RestoredCounts;
            }
        }
    }

    /// <summary>The sum over partitions of the next offset to apply: how far the state reaches.</summary>
    public long Position
    {
        get
        {
            lock (_gate)
            {
                return _next.Values.Sum();
            }
        }
    }

    /// <summary>Apply thread, between events: captures a checkpoint when one is due and the last one is stored.</summary>
    public void CaptureIfDue()
    {
        if (_store is null || Environment.TickCount64 < _due || !_writing.IsCompleted)
        {
            return;
        }

        bool dirty;
        lock (_gate)
        {
            dirty = _dirty;
        }

        _due = Environment.TickCount64 + (long)_options.Interval.TotalMilliseconds;
        if (!dirty && lake.Enabled && _lastWritten > 0)
        {
            // Idle. The lake publishes only parts that a later checkpoint succeeds, so the newest parts get
            // one more (unchanged) checkpoint; otherwise hours that came due are published.
            if (lake.LastPartSequence != _lastWritten)
            {
                var committed = _lastWritten;
                _writing = Task.Run(() => Publish(committed));
                return;
            }
        }
        else if (!dirty)
        {
            return;
        }

        var (sequence, bytes, events) = Capture();
        _writing = Task.Run(() => Store(sequence, bytes, events));
    }

    /// <summary>Apply thread, stopping: waits for the write under way, then stores the last state.</summary>
    public void Final()
    {
        if (_store is null)
        {
            return;
        }

        _writing.GetAwaiter().GetResult();
        lock (_gate)
        {
            if (!_dirty)
            {
                return;
            }
        }

        var (sequence, bytes, events) = Capture();
        Store(sequence, bytes, events);
    }

    public CheckpointStatus Status() => new(
        Enabled, _store?.Location, _restoredSequence, _restoredPosition, Position,
        metrics.Written, metrics.Failed, metrics.Corrupt, metrics.RestartedPartitions, metrics.LastBytes, metrics.LastCaptureMs, metrics.LastWriteMs);

    private (long Sequence, ReadOnlyMemory<byte> Bytes, Lake.LakeBatch? Events) Capture()
    {
        var started = Stopwatch.GetTimestamp();
        Dictionary<int, long> offsets;
        lock (_gate)
        {
            offsets = new Dictionary<int, long>(_next);
            _dirty = false;
        }

        var sequence = ++_sequence;
        var bytes = CheckpointFormat.Encode(_buffer, writer => Save(writer, sequence, offsets));
        metrics.Captured(bytes.Length, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return (sequence, bytes, lake.Enabled ? lake.Seal() : null);
    }

    private void Store(long sequence, ReadOnlyMemory<byte> bytes, Lake.LakeBatch? events)
    {
        try
        {
            // The lake's part first: a part is kept only when a checkpoint at or after it is (see EventLake).
            if (events is not null)
            {
                lake.WriteParts(sequence, events);
            }

            // Timed alone: the lake's parts above are the lake's cost, not the checkpoint's.
            var started = Stopwatch.GetTimestamp();
            _store!.Write(CheckpointFormat.NameOf(sequence), bytes);
            metrics.WrittenIn(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            foreach (var old in _store.List().Select(n => (Name: n, Sequence: CheckpointFormat.SequenceOf(n)))
                         .Where(n => n.Sequence is not null).OrderByDescending(n => n.Sequence).Skip(_options.Keep))
            {
                _store.Delete(old.Name);
            }

            _lastWritten = sequence;
            Publish(sequence);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or Azure.RequestFailedException)
        {
            // The state is still in memory and the next capture tries again; a restart before then reads
            // from the previous checkpoint's offsets (more to read again, nothing counted twice).
            metrics.WriteFailed();
            lock (_gate)
            {
                _dirty = true;
            }

            LogWriteFailed(ex, _store!.Location);
        }
    }

    private void Publish(long committed)
    {
        if (!lake.Enabled)
        {
            return;
        }

        try
        {
            lake.PublishDue(committed);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The parts stay; the next interval tries again.
            LogWriteFailed(ex, lake.Root);
        }
    }

    /// <summary>The payload: topic, offsets, the redelivery window, then the aggregates.</summary>
    private void Save(CheckpointWriter writer, long sequence, Dictionary<int, long> offsets)
    {
        writer.Write(sequence);
        writer.Write(settings.Topic);
        writer.Write(offsets.Count);
        foreach (var (partition, next) in offsets)
        {
            writer.Write(partition);
            writer.Write(next);
        }

        writer.Write(TopicBase.Events);
        writer.Write(TopicBase.Duplicates);
        seen.Save(writer);
        stats.Save(writer);
    }

    private Dictionary<int, long> Load(CheckpointReader reader)
    {
        reader.ReadInt64(); // sequence, also in the name
        var topic = reader.ReadString();
        var offsets = new Dictionary<int, long>();
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            offsets[reader.ReadInt32()] = reader.ReadInt64();
        }

        if (reader.Version >= 2)
        {
            TopicBase = (reader.ReadInt64(), reader.ReadInt64());
        }

        seen.Load(reader);
        stats.Load(reader);
        if (!string.Equals(topic, settings.Topic, StringComparison.Ordinal))
        {
            // Another topic: its offsets say nothing about this one, whose events are all new.
            LogOtherTopic(topic, settings.Topic);
            offsets.Clear();
        }

        return offsets;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored {Name} ({Bytes} bytes, {Partitions} partitions, position {Position}, {Total} events) in {Elapsed:F0} ms")]
    private partial void LogRestored(string name, int bytes, int partitions, long position, long total, double elapsed);

    [LoggerMessage(Level = LogLevel.Information, Message = "No checkpoint in {Location}: starting from the topic")]
    private partial void LogNone(string location);

    [LoggerMessage(Level = LogLevel.Error, Message = "Checkpoint {Name} is unusable ({Problem}); falling back to the previous one")]
    private partial void LogCorrupt(string name, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing a checkpoint to {Location} failed; the next one retries")]
    private partial void LogWriteFailed(Exception ex, string location);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The checkpoint is of topic {Saved}, the consumer reads {Topic}: its history is kept, every partition is read from the start")]
    private partial void LogOtherTopic(string saved, string topic);
}
