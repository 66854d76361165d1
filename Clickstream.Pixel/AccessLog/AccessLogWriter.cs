using System.Buffers;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Clickstream.Pixel.AccessLog;

/// <summary>
/// Appends access-log lines off the request path: a hit formats its line into a pooled buffer and
/// queues it; this service writes the queue to the file, flushing at least every
/// <see cref="AccessLogOptions.FlushInterval"/>, and rotates by rename+create. A full queue or a full
/// disk never fails a hit: the line is counted as not logged.
/// </summary>
public sealed partial class AccessLogWriter : BackgroundService
{
    private readonly Channel<PooledLine> _queue;
    private readonly AccessLogOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AccessLogWriter> _logger;
    private readonly Counter<long> _written;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _hits;
    private FileStream? _file;
    private long _fileLength;
    private long _unflushedLines;
    private long _hitsServed;
    private long _linesWritten;
    private long _linesDropped;

    public AccessLogWriter(IOptions<AccessLogOptions> options, TimeProvider time, IMeterFactory meters, ILogger<AccessLogWriter> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<PooledLine>(new BoundedChannelOptions(_options.BufferLines)
        {
            // A hit must not wait for the disk: when the queue is full the line is counted and dropped.
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        var meter = meters.Create(PixelTelemetry.MeterName);
        _written = meter.CreateCounter<long>("pixel.log.lines.written", "{line}", "Access-log lines written to the file.");
        _dropped = meter.CreateCounter<long>("pixel.log.lines.dropped", "{line}", "Hits answered but not logged (queue full or disk error).");
        _hits = meter.CreateCounter<long>("pixel.hits.served", "{request}", "Requests answered and handed to the access log.");
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
    public PixelStats Stats => new(Volatile.Read(ref _hitsServed), Volatile.Read(ref _linesWritten), Volatile.Read(ref _linesDropped));

    /// <summary>Formats the line straight into a pooled buffer and queues it; false (and counted) when the queue is full.</summary>
    public bool TryWrite(in AccessLogEntry entry)
    {
        Interlocked.Increment(ref _hitsServed);
        _hits.Add(1);
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
        Interlocked.Add(ref _linesDropped, lines);
        _dropped.Add(lines, new KeyValuePair<string, object?>("reason", reason));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
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

    private void DrainAvailable(ChannelReader<PooledLine> reader, ref long lastFlush)
    {
        while (reader.TryRead(out var line))
        {
            Append(line);
            if (_time.GetElapsedTime(lastFlush) >= _options.FlushInterval)
            {
                Flush();
                lastFlush = _time.GetTimestamp();
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

            file.Write(line.Buffer, 0, line.Length);
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
                Interlocked.Add(ref _linesWritten, _unflushedLines);
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

    private FileStream Open()
    {
        var file = new FileStream(LivePath, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 64 * 1024,
        });
        _fileLength = file.Length;
        return file;
    }

    private FileStream Rotate()
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
}
