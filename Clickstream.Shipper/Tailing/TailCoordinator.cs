using System.Diagnostics.Metrics;
using Clickstream.Contracts;
using Clickstream.Shipper.Checkpoints;
using Clickstream.Shipper.Delivery;
using Microsoft.Extensions.FileSystemGlobbing;
using Microsoft.Extensions.Options;

namespace Clickstream.Shipper.Tailing;

/// <summary>
/// Runs the pipeline: the source (a <see cref="FileTail"/> per file identity, started as the configured globs, expanded
/// every poll, find new files; files that left the watched paths followed by their identity) → the bounded
/// <see cref="Buffering.LineBuffer"/> → the sink (<see cref="KafkaSender.RunAsync"/>); and saves checkpoints of the
/// finalized positions every <c>CheckpointInterval</c>. On stop: the tails stop, the sink hands on what the buffer
/// holds, the producer flushes, the last checkpoint is written.
/// </summary>
/// <remarks>
/// A file that no watched path names any more (renamed to an unmatched name, or deleted) is never given up while it
/// may still grow: its tail reads it until it has been at its end for <c>RotateWait</c> after a new file took its path,
/// then it is parked (handle kept, looked at each poll) and read again from its checkpoint if it grows, as a writer
/// that did not reopen its log makes it grow. A parked file is closed only once it is deleted and no process holds it
/// open for writing any more (or, where the kernel cannot tell, once it is deleted).
/// </remarks>
public sealed partial class TailCoordinator : BackgroundService
{
    private readonly TailContext _context;
    private readonly ShipperOptions _options;
    private readonly KafkaSender _sender;
    private readonly ShipperMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<TailCoordinator> _logger;
    private readonly CheckpointStore _store;
    private readonly Dictionary<FileIdentity, (FileTail Tail, Task Run)> _tails = [];
    private readonly Lock _gate = new();
    // Positions to resume from: the saved checkpoints at start, and tails that failed and are restarted.
    // An entry is used once, so a recycled inode of a deleted file is never mistaken for it later.
    private readonly Dictionary<FileIdentity, Checkpoint> _resume = [];
    private List<Checkpoint> _lastSaved = [];
    // Tails read until this is cancelled: at once on stop, or after the drain with DrainOnStop.
    private readonly CancellationTokenSource _reading = new();
    // The sink runs until the buffer is completed and empty, or this is cancelled (the stop's flush budget ran out).
    private readonly CancellationTokenSource _sinkStopping;
    private Task _sink = Task.CompletedTask;
    private bool _draining;
    // The checkpoint file was unreadable: every file found at start-up is read from its start, whatever StartAt says.
    private bool _checkpointsLost;

    public TailCoordinator(TailContext context, KafkaSender sender, ILogger<TailCoordinator> logger)
    {
        _context = context;
        _options = context.Options;
        _sender = sender;
        _metrics = context.Metrics;
        _time = context.Time;
        _logger = logger;
        _store = new CheckpointStore(_options.StateDirectory);
        _sinkStopping = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        _metrics.Backlog = () =>
        {
            lock (_gate)
            {
                return _tails.Values.Select(t => new Measurement<long>(t.Tail.Backlog, new KeyValuePair<string, object?>("file", t.Tail.Path))).ToList();
            }
        };
    }

    /// <summary>Bytes written to the watched files and not acknowledged yet.</summary>
    public long Backlog
    {
        get
        {
            lock (_gate)
            {
                return _tails.Values.Sum(t => t.Tail.Backlog);
            }
        }
    }

    public IReadOnlyList<Checkpoint> Checkpoints
    {
        get
        {
            lock (_gate)
            {
                return _tails.Values.Select(t => t.Tail.Checkpoint).ToList();
            }
        }
    }

    /// <summary>Each tailed file with how far it was read (tests and diagnostics).</summary>
    public IReadOnlyList<(string Path, FileIdentity Identity, long ReadPosition)> Files
    {
        get
        {
            lock (_gate)
            {
                return _tails.Values.Select(t => (t.Tail.Path, t.Tail.Identity, t.Tail.ReadPosition)).ToList();
            }
        }
    }

    /// <summary>Files read to their end after they left the watched paths, watched for growth (tests and diagnostics).</summary>
    public IReadOnlyList<FileIdentity> Parked
    {
        get
        {
            lock (_gate)
            {
                return _tails.Values.Where(t => t.Tail.Parked).Select(t => t.Tail.Identity).ToList();
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var saved = _store.LoadOrSetAside(_time);
        if (saved.WasUnreadable)
        {
            _checkpointsLost = true;
            _metrics.CheckpointsSetAside();
            LogCheckpointsSetAside(_store.FilePath, saved.Problem!, saved.SetAsidePath ?? "(could not be moved)");
        }

        foreach (var (identity, checkpoint) in saved.Checkpoints)
        {
            _resume[identity] = checkpoint;
        }

        // Let the host finish starting (the web endpoints) before the first scan.
        await Task.Yield();
        _sink = Task.Run(() => _sender.RunAsync(_sinkStopping.Token), CancellationToken.None);
        var firstScan = true;
        var lastCheckpoint = _time.GetTimestamp();
        LogWatching(string.Join(", ", _options.Paths), _options.StartAt);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Scan(firstScan, _reading.Token);
                if (firstScan)
                {
                    FindRenamedWhileAway(_reading.Token);
                }

                firstScan = false;
                if (_time.GetElapsedTime(lastCheckpoint) >= _options.CheckpointInterval)
                {
                    SaveCheckpoints();
                    lastCheckpoint = _time.GetTimestamp();
                }

                await Task.Delay(_options.PollInterval, _time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            var flushBudget = TimeSpan.FromSeconds(10);
            if (_options.DrainOnStop)
            {
                flushBudget = await DrainAsync();
            }

            await _reading.CancelAsync();
            await ShutdownAsync(flushBudget);
        }
    }

    /// <summary>
    /// Stopping with <c>DrainOnStop</c>: every file (and any that appears meanwhile, such as a last rotation) is read
    /// to the end its writer leaves and acknowledged, within <c>DrainTimeout</c>. Returns what is left of it.
    /// </summary>
    private async Task<TimeSpan> DrainAsync()
    {
        var started = _time.GetTimestamp();
        LogDraining(_options.DrainTimeout);
        lock (_gate)
        {
            _draining = true;
            foreach (var entry in _tails.Values)
            {
                entry.Tail.Draining = true;
            }
        }

        while (_time.GetElapsedTime(started) < _options.DrainTimeout)
        {
            Scan(firstScan: false, _reading.Token);
            bool done;
            lock (_gate)
            {
                done = _tails.Values.All(t => t.Run.IsCompleted && t.Tail.Tracker.PendingCount == 0);
            }

            SaveCheckpoints();
            if (done)
            {
                LogDrainedAll(_time.GetElapsedTime(started).TotalMilliseconds);
                break;
            }

            await Task.Delay(_options.PollInterval, _time);
        }

        var left = _options.DrainTimeout - _time.GetElapsedTime(started);
        if (left <= TimeSpan.Zero)
        {
            LogDrainTimedOut(_options.DrainTimeout, Backlog);
        }

        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private void Scan(bool firstScan, CancellationToken stoppingToken)
    {
        var seen = new Dictionary<FileIdentity, string>();
        var atPath = new Dictionary<string, FileIdentity>(StringComparer.Ordinal);
        foreach (var path in ExpandPaths(_options.Paths))
        {
            if (FileIdentity.OfPath(path) is { } identity)
            {
                seen.TryAdd(identity, path);
                atPath[path] = identity;
            }
        }

        lock (_gate)
        {
            foreach (var (identity, path) in seen)
            {
                if (_tails.TryGetValue(identity, out var known))
                {
                    known.Tail.Path = path; // renamed, still watched
                    if (known.Tail.Gone)
                    {
                        known.Tail.Watched();
                    }

                    continue;
                }

                Start(identity, path, firstScan, stoppingToken);
            }

            foreach (var (identity, entry) in _tails.ToList())
            {
                var tail = entry.Tail;
                if (!seen.ContainsKey(identity))
                {
                    tail.Gone = true;
                    if (atPath.ContainsKey(tail.Path))
                    {
                        tail.SuccessorSeen(); // its writer's new file: RotateWait runs from now
                    }
                }

                if (!entry.Run.IsCompleted || tail.Tracker.PendingCount != 0)
                {
                    continue;
                }

                if (entry.Run.Exception is { } failure)
                {
                    // Restarted at its acknowledged position: a watched file by the next scan, a gone one in place.
                    LogTailFailed(tail.Path, failure.GetBaseException().Message);
                    if (tail.Gone && !_draining)
                    {
                        Resume(identity, tail, stoppingToken);
                        continue;
                    }

                    if (!tail.Gone)
                    {
                        _resume[identity] = tail.Checkpoint;
                    }

                    tail.Dispose();
                    _tails.Remove(identity);
                }
                else if (tail.Gone && (!_draining || tail.Parked))
                {
                    // Draining on stop, a parked file that grew is read to its end once more.
                    Watch(identity, tail, stoppingToken);
                }
                else if (tail.Gone)
                {
                    // Draining on stop: read to the end its writer left, and the process ends.
                    tail.Dispose();
                    _tails.Remove(identity);
                }
            }
        }
    }

    /// <summary>
    /// A gone file whose tail stopped (read to its end, RotateWait over): parked with its handle open. It runs again
    /// when it grows (or shrinks: a copytruncate), and is closed once it is deleted and no writer holds it open.
    /// </summary>
    private void Watch(FileIdentity identity, FileTail tail, CancellationToken stoppingToken)
    {
        if (!tail.Parked)
        {
            tail.Parked = true;
            tail.Path = OpenFileState.CurrentPath(tail.Handle) ?? tail.Path;
        }

        long length;
        try
        {
            length = tail.Length;
        }
        catch (IOException)
        {
            length = -1;
        }

        if (length >= 0 && length != tail.ReadPosition)
        {
            LogGrewAgain(tail.Path, tail.Tracker.Committed, length);
            _metrics.GrewAgain();
            Resume(identity, tail, stoppingToken);
            return;
        }

        if (OpenFileState.CurrentPath(tail.Handle) is null && !OpenFileState.HasWriter(tail.Handle))
        {
            LogClosed(tail.Path, tail.Tracker.Committed);
            tail.Dispose();
            _tails.Remove(identity);
        }
    }

    private void Resume(FileIdentity identity, FileTail tail, CancellationToken stoppingToken)
    {
        tail.Unpark();
        tail.Draining = _draining;
        _tails[identity] = (tail, Task.Run(() => tail.RunAsync(stoppingToken), CancellationToken.None));
    }

    /// <summary>
    /// At start-up: checkpointed files that no watched path names any more, because they were rotated to an unmatched
    /// name while the shipper was not running (or behind, and restarted), are looked for by identity in the watched
    /// directories and read on from their checkpoint, instead of losing what was written to them before the rename and
    /// not shipped yet. A checkpoint sits at a line's end, so the file must be at least that long and hold a newline just
    /// before it (at 0: start with '{'): an inode number recycled for another file (a compressed copy, say) almost never passes.
    /// </summary>
    private void FindRenamedWhileAway(CancellationToken stoppingToken)
    {
        if (_resume.Count == 0)
        {
            return;
        }

        var directories = _options.Paths.Select(p => Path.GetDirectoryName(Path.GetFullPath(p))!).Distinct(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var file in directories.Where(Directory.Exists).SelectMany(Directory.EnumerateFiles))
            {
                if (FileIdentity.OfPath(file) is not { } identity || !_resume.TryGetValue(identity, out var checkpoint)
                    || _tails.ContainsKey(identity) || !EndsLineAt(file, checkpoint.Offset))
                {
                    continue;
                }

                LogFoundRenamed(checkpoint.Path, file, checkpoint.Offset);
                Start(identity, file, firstScan: false, stoppingToken);
                if (_tails.TryGetValue(identity, out var started))
                {
                    started.Tail.Gone = true;
                    started.Tail.SuccessorSeen(); // its writer had the whole downtime to move on
                }
            }
        }
    }

    private static bool EndsLineAt(string path, long offset)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (RandomAccess.GetLength(handle) < offset)
            {
                return false;
            }

            // At 0 (nothing shipped yet) the file must start as a log line does, with a JSON object.
            Span<byte> before = stackalloc byte[1];
            return offset == 0
                ? RandomAccess.Read(handle, before, 0) == 1 && before[0] == (byte)'{'
                : RandomAccess.Read(handle, before, offset - 1) == 1 && before[0] == (byte)'\n';
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private void Start(FileIdentity identity, string path, bool firstScan, CancellationToken stoppingToken)
    {
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogOpenFailed(path, ex.Message);
            return;
        }

        // The path may have been replaced between stat and open: trust the handle.
        var actual = FileIdentity.OfHandle(handle);
        if (actual != identity && _tails.ContainsKey(actual))
        {
            handle.Dispose();
            return;
        }

        var length = RandomAccess.GetLength(handle);
        long generation = 0, offset;
        if (_resume.Remove(actual, out var checkpoint))
        {
            generation = checkpoint.Generation;
            offset = checkpoint.Offset;
            if (length < offset)
            {
                // Truncated while we were away.
                generation++;
                offset = 0;
                _metrics.Truncated();
            }
        }
        else
        {
            // Files that appear while running (rotation) are always read from the start.
            offset = firstScan && _options.StartAt == StartPosition.Tail && !_checkpointsLost ? length : 0;
        }

        var tail = new FileTail(_context, path, handle, actual, generation, offset)
        {
            Draining = _draining,
        };
        _tails[actual] = (tail, Task.Run(() => tail.RunAsync(stoppingToken), CancellationToken.None));
        LogTailing(path, actual.ToString(), offset, generation);
    }

    private static IEnumerable<string> ExpandPaths(IEnumerable<string> patterns)
    {
        foreach (var pattern in patterns)
        {
            var full = Path.GetFullPath(pattern);
            var directory = Path.GetDirectoryName(full)!;
            var name = Path.GetFileName(full);
            if (!Directory.Exists(directory))
            {
                continue;
            }

            if (name.AsSpan().IndexOfAny('*', '?') < 0)
            {
                if (File.Exists(full))
                {
                    yield return full;
                }

                continue;
            }

            var matcher = new Matcher(StringComparison.Ordinal);
            matcher.AddInclude(name);
            foreach (var file in matcher.GetResultsInFullPath(directory))
            {
                yield return file;
            }
        }
    }

    /// <summary>Writes acknowledged positions when they changed.</summary>
    public void SaveCheckpoints()
    {
        var current = Checkpoints.OrderBy(c => c.Device).ThenBy(c => c.Inode).ToList();
        if (current.SequenceEqual(_lastSaved))
        {
            return;
        }

        try
        {
            _store.Save(current);
            _lastSaved = current;
        }
        catch (IOException ex)
        {
            LogCheckpointFailed(ex.Message);
        }
    }

    private async Task ShutdownAsync(TimeSpan flushBudget)
    {
        List<Task> runs;
        lock (_gate)
        {
            runs = _tails.Values.Select(t => t.Run).ToList();
        }

        try
        {
            await Task.WhenAll(runs);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Logged by the scan that would have restarted it; shutdown goes on to flush and checkpoint.
        }

        // The sink hands on what the buffer still holds, then whatever was sent gets its acknowledgement, all within the
        // budget; what does not stays unfinalized and is read and sent again next time.
        var started = _time.GetTimestamp();
        _context.Buffer.Complete();
        _sinkStopping.CancelAfter(flushBudget);
        try
        {
            await _sink;
        }
        catch (Exception ex)
        {
            LogSinkFailed(ex.Message);
        }

        var left = flushBudget - _time.GetElapsedTime(started);
        _sender.Flush(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        SaveCheckpoints();
        lock (_gate)
        {
            foreach (var entry in _tails.Values)
            {
                entry.Tail.Dispose();
            }

            _tails.Clear();
        }
    }

    public override void Dispose()
    {
        _reading.Dispose();
        _sinkStopping.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: shipping every file to its end first (at most {DrainTimeout})")]
    private partial void LogDraining(TimeSpan drainTimeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Every file shipped to its end and acknowledged in {ElapsedMs:F0} ms")]
    private partial void LogDrainedAll(double elapsedMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Drain on stop ran out of its {DrainTimeout}: {Backlog} bytes were not acknowledged and are lost with the volume")]
    private partial void LogDrainTimedOut(TimeSpan drainTimeout, long backlog);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching {Paths} (never-seen files start at {StartAt})")]
    private partial void LogWatching(string paths, StartPosition startAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Tailing {Path} ({Identity}) from offset {Offset}, generation {Generation}")]
    private partial void LogTailing(string path, string identity, long offset, long generation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot open {Path}: {Reason}")]
    private partial void LogOpenFailed(string path, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Tailing {Path} failed ({Reason}); it restarts at its acknowledged position")]
    private partial void LogTailFailed(string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path} grew to {Length} after it was parked (its writer did not reopen its log): reading it again from {Offset}")]
    private partial void LogGrewAgain(string path, long offset, long length);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{CheckpointPath} was renamed to {Path} while the shipper was away: reading it on from {Offset}")]
    private partial void LogFoundRenamed(string checkpointPath, string path, long offset);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Path} is deleted and no process writes it any more: closed at {Offset}")]
    private partial void LogClosed(string path, long offset);

    [LoggerMessage(Level = LogLevel.Error,
        Message = "{CheckpointPath} is corrupt or unreadable ({Problem}); moved aside to {SetAsidePath}, every file is read from its start (duplicates, never loss)")]
    private partial void LogCheckpointsSetAside(string checkpointPath, string problem, string setAsidePath);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sending failed ({Reason}); what it did not send is read and sent again at the next start")]
    private partial void LogSinkFailed(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Checkpoints could not be saved: {Reason}")]
    private partial void LogCheckpointFailed(string reason);
}
