using System.Buffers;
using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Clickstream.Contracts;
using Clickstream.ServiceDefaults.Telemetry;
using Microsoft.Extensions.Options;

namespace Clickstream.Pixel.AccessLog;

/// <summary>
/// Appends access-log lines off the request path: a hit formats its line into a pooled buffer and
/// queues it; this service writes the queue to the file, flushing at least every
/// <see cref="AccessLogOptions.FlushInterval"/>, and rotates by rename+create. A full queue or a full
/// disk never fails a hit: the line is counted as not logged.
/// </summary>
/// <remarks>
/// It behaves as log rotators expect of a daemon's log writer: it writes with <c>O_APPEND</c>, so a
/// <c>copytruncate</c> leaves no hole; at least once per flush interval it compares the open file with
/// what its path names now, and reopens at the path when a rotator renamed or deleted it (so logrotate's
/// <c>create</c> needs no <c>postrotate</c> script); and SIGHUP or SIGUSR1 (nginx's reopen signal) makes it
/// reopen at once, so scripts written for other daemons work too.
/// </remarks>
public sealed partial class AccessLogWriter : BackgroundService
{
    private readonly Channel<PooledLine> _queue;
    private readonly AccessLogOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AccessLogWriter> _logger;
    private readonly ReadableCounter _written;
    private readonly ReadableCounter _dropped;
    private readonly ReadableCounter _hits;
    private AppendOnlyFile? _file;
    private long _fileLength;
    private long _lastPathCheck;
    private int _reopenRequested;
    private long _unflushedLines;

    public AccessLogWriter(IOptions<AccessLogOptions> options, TimeProvider time, IMeterFactory meters, ILogger<AccessLogWriter> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<PooledLine>(new BoundedChannelOptions(_options.BufferLines)
        {
            // A hit must not wait for the disk: hits only TryWrite, which answers false at once on a full queue
            // (Wait governs only WriteAsync, which no hit calls), and the line is then counted as dropped.
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        var meter = meters.Create(PixelTelemetry.MeterName);
        _written = new ReadableCounter(meter, "pixel.log.lines.written", "{line}", "Access-log lines written to the file.");
        _dropped = new ReadableCounter(meter, "pixel.log.lines.dropped", "{line}", "Hits answered but not logged (queue full or disk error).");
        _hits = new ReadableCounter(meter, "pixel.hits.served", "{request}", "Requests answered and handed to the access log.");
        System.IO.Directory.CreateDirectory(_options.Directory);
        LivePath = Path.GetFullPath(Path.Combine(_options.Directory, _options.FileName));
        ClosedMarkerPath = Path.Combine(Path.GetDirectoryName(LivePath)!, Clickstream.Contracts.AccessLogFiles.WriterClosedMarker);
        // Writing again: a shipper draining on stop must not take an old marker for this run's end.
        File.Delete(ClosedMarkerPath);
    }

    public string LivePath { get; }

    /// <summary>Created once the last line is written and the log closed at shutdown (see <c>AccessLogFiles</c>).</summary>
    public string ClosedMarkerPath { get; }

    private TimeSpan BatchWait => _options.FlushInterval < TimeSpan.FromMilliseconds(100) ? TimeSpan.Zero : TimeSpan.FromMilliseconds(10);

    /// <summary>Counters since start, for <c>GET /stats</c>: served = written + dropped + still queued.</summary>
    public PixelStats Stats => new(_hits.Total, _written.Total, _dropped.Total);

    /// <summary>Formats the line straight into a pooled buffer and queues it; false (and counted) when the queue is full.</summary>
    public bool TryWrite(in AccessLogEntry entry)
    {
        _hits.Add();
        var buffer = ArrayPool<byte>.Shared.Rent(entry.MaxLength);
        var length = entry.Format(buffer);
        if (_queue.Writer.TryWrite(new PooledLine(buffer, length)))
        {
            return true;
        }

        ArrayPool<byte>.Shared.Return(buffer);
        CountDropped(1, "queue_full");
        return false;
    }

    private void CountDropped(long lines, string reason)
    {
        _dropped.Add(lines, new KeyValuePair<string, object?>("reason", reason));
    }

    /// <summary>Reopen the file at its path before the next line (what SIGHUP and SIGUSR1 ask for).</summary>
    public void RequestReopen()
    {
        Volatile.Write(ref _reopenRequested, 1);
        Wake();
    }

    // An empty line in the queue makes the writer look at its path now; skipped when the queue is full
    // (then the writer is busy and looks at it within the flush interval anyway).
    private void Wake() => _queue.Writer.TryWrite(default);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var hangUp = RegisterReopenSignal(PosixSignal.SIGHUP);
        using var user1 = RegisterReopenSignal(UserSignal1);
        // An idle writer still looks at its path once per flush interval: a rotated file is let go of
        // (and a deleted one's space freed) without waiting for the next hit.
        await using var idleCheck = _time.CreateTimer(_ => Wake(), null, _options.FlushInterval, _options.FlushInterval);
        var reader = _queue.Reader;
        var lastFlush = _time.GetTimestamp();
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                DrainAvailable(reader, ref lastFlush);
                // Let lines gather instead of waking for each one (a wake-up per hit costs more than the write on a
                // busy core); well inside the flush interval, and far from filling the buffer.
                await Task.Delay(BatchWait, _time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Shutdown: whatever was answered gets written.
            _queue.Writer.TryComplete();
            DrainAvailable(reader, ref lastFlush);
            Flush();
            CloseQuietly();
            MarkClosed();
        }
    }

    /// <summary>Tells a shipper that drains on stop that nothing more will be appended.</summary>
    private void MarkClosed()
    {
        try
        {
            File.WriteAllBytes(ClosedMarkerPath, []);
        }
        catch (IOException ex)
        {
            // The shipper then waits for the files to stay quiet instead: later, not lossy.
            LogWriteFailed(ex.Message);
        }
    }

    // SIGUSR1 has no PosixSignal name; the API takes the raw number (10 on Linux x86-64 and arm64).
    private const PosixSignal UserSignal1 = (PosixSignal)10;

    private PosixSignalRegistration? RegisterReopenSignal(PosixSignal signal)
    {
        try
        {
            return PosixSignalRegistration.Create(signal, context =>
            {
                // Handled: not the default action (SIGHUP and SIGUSR1 would terminate the process).
                context.Cancel = true;
                RequestReopen();
            });
        }
        catch (Exception ex) when (ex is PlatformNotSupportedException or IOException)
        {
            LogSignalUnavailable(signal.ToString(), ex.Message);
            return null;
        }
    }

    private void DrainAvailable(ChannelReader<PooledLine> reader, ref long lastFlush)
    {
        ReopenIfMoved();
        while (reader.TryRead(out var line))
        {
            if (line.Buffer is null)
            {
                ReopenIfMoved(); // a wake-up, not a line
                continue;
            }

            Append(line);
            if (_time.GetElapsedTime(lastFlush) >= _options.FlushInterval)
            {
                Flush();
                lastFlush = _time.GetTimestamp();
                ReopenIfMoved();
            }
        }

        // The queue is empty: nothing is gained by holding bytes back.
        Flush();
        lastFlush = _time.GetTimestamp();
    }

    private void Append(PooledLine line)
    {
        try
        {
            var file = _file ??= Open();
            if (_fileLength + line.Length > _options.MaxFileBytes && _fileLength > 0)
            {
                file = Rotate();
            }

            file.Write(line.Buffer.AsSpan(0, line.Length));
            _fileLength += line.Length;
            // Counted as written once a flush got it to the file.
            _unflushedLines++;
        }
        catch (IOException ex)
        {
            // The line, and whatever the file buffer held, did not reach the disk.
            CountDropped(_unflushedLines + 1, "io_error");
            _unflushedLines = 0;
            LogWriteFailed(ex.Message);
            // Reopen on the next line: the disk may have room again.
            CloseQuietly();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(line.Buffer);
        }
    }

    private void Flush()
    {
        try
        {
            _file?.Flush();
            if (_unflushedLines > 0)
            {
                _written.Add(_unflushedLines);
                _unflushedLines = 0;
            }
        }
        catch (IOException ex)
        {
            CountDropped(_unflushedLines, "io_error");
            _unflushedLines = 0;
            LogWriteFailed(ex.Message);
            CloseQuietly();
        }
    }

    private AppendOnlyFile Open()
    {
        var file = AppendOnlyFile.Open(LivePath, 64 * 1024);
        _fileLength = file.Length;
        _lastPathCheck = _time.GetTimestamp();
        return file;
    }

    /// <summary>
    /// Reopens at the path when asked to (a signal), or, at most once per flush interval, when the path no
    /// longer names the open file (renamed or deleted by a rotator). Lines queued before are flushed to
    /// the old file first: a rotator's reader (the shipper) drains the renamed file to its end.
    /// </summary>
    private void ReopenIfMoved()
    {
        var requested = Interlocked.Exchange(ref _reopenRequested, 0) == 1;
        if (_file is null)
        {
            return; // opened at the path by the next line
        }

        if (!requested && _time.GetElapsedTime(_lastPathCheck) < _options.FlushInterval)
        {
            return;
        }

        _lastPathCheck = _time.GetTimestamp();
        try
        {
            if (!requested && FileIdentity.OfPath(LivePath) == _file.Identity)
            {
                // Still ours; a copytruncate may have shrunk it, which the size-based rotation must know.
                _fileLength = _file.Length;
                return;
            }

            Flush();
            CloseQuietly();
            _file = Open();
            LogReopened(LivePath, requested ? "a signal asked for it" : "the path names another file now, or none");
        }
        catch (IOException ex)
        {
            LogWriteFailed(ex.Message);
            CloseQuietly(); // the next line tries to open the path again
        }
    }

    private AppendOnlyFile Rotate()
    {
        Flush();
        _file?.Dispose();
        _file = null;
        // Keeps the .log ending: the shipper follows the renamed inode and finds it again after a restart.
        var stamp = _time.GetUtcNow().ToString("yyyyMMdd'T'HHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
        var directory = Path.GetDirectoryName(LivePath)!;
        var rotated = Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(LivePath)}.{stamp}{Path.GetExtension(LivePath)}");
        // Two rotations within one millisecond (small MaxFileBytes, a burst): never overwrite the first.
        for (var n = 1; File.Exists(rotated); n++)
        {
            rotated = Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(LivePath)}.{stamp}-{n}{Path.GetExtension(LivePath)}");
        }

        File.Move(LivePath, rotated);
        LogRotated(rotated);
        return _file = Open();
    }

    private void CloseQuietly()
    {
        try
        {
            _file?.Dispose();
        }
        catch (IOException)
        {
            // Buffered bytes that cannot reach a full disk are lost either way; they were counted as dropped.
        }

        _file = null;
    }

    private readonly record struct PooledLine(byte[] Buffer, int Length);

    [LoggerMessage(Level = LogLevel.Error, Message = "Access log write failed: {Reason}")]
    private partial void LogWriteFailed(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Access log rotated to {RotatedPath}")]
    private partial void LogRotated(string rotatedPath);

    [LoggerMessage(Level = LogLevel.Information, Message = "Access log reopened at {Path}: {Reason}")]
    private partial void LogReopened(string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot reopen the access log on {Signal}: {Reason}")]
    private partial void LogSignalUnavailable(string signal, string reason);
}
