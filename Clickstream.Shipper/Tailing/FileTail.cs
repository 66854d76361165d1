using System.Buffers;
using Clickstream.Contracts;
using Clickstream.Shipper.Checkpoints;
using Clickstream.Shipper.DeadLetters;
using Clickstream.Shipper.Delivery;
using Microsoft.Win32.SafeHandles;

namespace Clickstream.Shipper.Tailing;

/// <summary>
/// Follows one file (one inode) from a position: splits it into lines, inspects each, and hands the
/// good ones to the sender. It holds the file open, so a renamed file is drained to its end; it
/// notices a copytruncate (the file shrank below what was read) and starts over at 0.
/// </summary>
public sealed partial class FileTail : IDisposable
{
    private const int InitialBufferBytes = 64 * 1024;

    private readonly SafeFileHandle _handle;
    private readonly ShipperOptions _options;
    private readonly KafkaSender _sender;
    private readonly DeadLetterWriter _deadLetters;
    private readonly ShipperMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _identityText;
    private byte[] _eventIdPrefix;
    private long _readPosition;

    public FileTail(string path, SafeFileHandle handle, FileIdentity identity, long generation, long offset,
        ShipperOptions options, KafkaSender sender, DeadLetterWriter deadLetters, ShipperMetrics metrics, TimeProvider time, ILogger logger)
    {
        Path = path;
        _handle = handle;
        Identity = identity;
        _identityText = identity.ToString();
        Generation = generation;
        _eventIdPrefix = KafkaSender.EventIdPrefix(_identityText, generation);
        Tracker = new AckTracker(offset, sender.ReleaseWindow);
        _readPosition = offset;
        _options = options;
        _sender = sender;
        _deadLetters = deadLetters;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>The path the file was last seen at (it changes when the file is renamed).</summary>
    public string Path { get; set; }

    public FileIdentity Identity { get; }

    /// <summary>Counts copytruncates, so event ids stay unique when offsets start over.</summary>
    public long Generation { get; private set; }

    public AckTracker Tracker { get; private set; }

    /// <summary>Set when no watched path names this file any more: drain to the end, then stop.</summary>
    public bool Gone { get; set; }

    /// <summary>Set when the shipper stops with <c>DrainOnStop</c>: read to the end the writer leaves, then stop.</summary>
    public bool Draining { get; set; }

    /// <summary>Bytes in the file that are not acknowledged yet.</summary>
    public long Backlog
    {
        get
        {
            try
            {
                return Math.Max(0, RandomAccess.GetLength(_handle) - Tracker.Committed);
            }
            catch (ObjectDisposedException)
            {
                return 0;
            }
        }
    }

    /// <summary>Bytes of the file read so far (what is sent, or waits for the in-flight window).</summary>
    public long ReadPosition => Volatile.Read(ref _readPosition);

    public Checkpoint Checkpoint => new(Identity.Device, Identity.Inode, Generation, Tracker.Committed, Path);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        var filled = 0;
        var skipping = false; // inside a line longer than MaxLineBytes
        long skipStart = 0;
        var partialSince = _time.GetTimestamp();
        long idleSince = 0; // when a vanished or draining file was first found at its end
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (filled == buffer.Length)
                {
                    buffer = Grow(buffer, filled);
                }

                // Asked before the read: the marker is written after the last line, so a read after it sees everything.
                var writerClosed = Draining && WriterClosed();
                var read = await RandomAccess.ReadAsync(_handle, buffer.AsMemory(filled), _readPosition, cancellationToken);
                if (read == 0)
                {
                    if (DetectTruncation(ref filled, ref skipping))
                    {
                        continue;
                    }

                    if (filled > 0 && !skipping && _options.PartialLineTimeout is { } timeout && _time.GetElapsedTime(partialSince) >= timeout)
                    {
                        // Asked for: ship a last line that never got its newline.
                        await ProcessLineAsync(buffer.AsSpan(0, filled).ToArray(), _readPosition - filled, _readPosition, cancellationToken);
                        filled = 0;
                        continue;
                    }

                    if (writerClosed)
                    {
                        LogWriterClosed(Path, ReadPosition);
                        return;
                    }

                    if (Gone || Draining)
                    {
                        // Renamed away: a writer that has not reopened yet may still append (Fluentd's rotate_wait).
                        // Draining without the pixel's marker: a writer that is still finishing may still append.
                        if (idleSince == 0)
                        {
                            idleSince = _time.GetTimestamp();
                        }
                        else if (_time.GetElapsedTime(idleSince) >= (Draining ? _options.DrainQuietPeriod : _options.RotateWait))
                        {
                            LogDrained(Path, ReadPosition);
                            return;
                        }
                    }

                    await Task.Delay(_options.PollInterval, _time, cancellationToken);
                    continue;
                }

                partialSince = _time.GetTimestamp();
                idleSince = 0;
                var chunkStart = _readPosition - filled; // file offset of buffer[0]
                _readPosition += read;
                filled += read;

                var consumed = 0;
                while (true)
                {
                    // Synchronous per-line work; it stops early only when the in-flight window is full.
                    var blocked = ProcessLines(buffer, filled, chunkStart, ref consumed, ref skipping, ref skipStart, cancellationToken);
                    if (blocked.IsCompletedSuccessfully)
                    {
                        break;
                    }

                    await blocked;
                }

                // Keep the partial line at the front of the buffer.
                var remaining = filled - consumed;
                if (remaining > _options.MaxLineBytes && !skipping)
                {
                    skipping = true;
                    skipStart = chunkStart + consumed;
                    LogTooLong(Path, skipStart, _options.MaxLineBytes);
                    remaining = 0; // drop what was read of it: it is recorded when its end is found
                }
                else if (skipping)
                {
                    remaining = 0;
                }

                if (remaining > 0 && consumed > 0)
                {
                    buffer.AsSpan(consumed, remaining).CopyTo(buffer);
                }

                filled = remaining;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Handles the complete lines in <c>buffer[consumed..filled]</c>, advancing <paramref name="consumed"/>.
    /// Returns a pending task when a line waits for room in the in-flight window (that line is then sent
    /// when the task completes); a completed one when every complete line is handled.
    /// </summary>
    private ValueTask ProcessLines(byte[] buffer, int filled, long chunkStart, ref int consumed, ref bool skipping, ref long skipStart,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = buffer.AsSpan(consumed, filled - consumed).IndexOf((byte)'\n');
            if (newline < 0)
            {
                return ValueTask.CompletedTask;
            }

            var lineStart = chunkStart + consumed;
            var lineEnd = lineStart + newline + 1;
            var pending = ValueTask.CompletedTask;
            if (skipping)
            {
                skipping = false;
                DeadLetterTooLong(skipStart, lineEnd, buffer.AsSpan(consumed, newline));
            }
            else if (newline > _options.MaxLineBytes)
            {
                DeadLetterTooLong(lineStart, lineEnd, buffer.AsSpan(consumed, newline));
            }
            else
            {
                pending = ProcessLineAsync(buffer.AsMemory(consumed, newline), lineStart, lineEnd, cancellationToken);
            }

            consumed += newline + 1;
            if (!pending.IsCompletedSuccessfully)
            {
                return pending;
            }
        }
    }

    private bool WriterClosed() =>
        File.Exists(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, Clickstream.Contracts.AccessLogFiles.WriterClosedMarker));

    private bool DetectTruncation(ref int filled, ref bool skipping)
    {
        if (RandomAccess.GetLength(_handle) >= _readPosition)
        {
            return false;
        }

        // copytruncate: the content was copied elsewhere and this file emptied; start over.
        Generation++;
        _eventIdPrefix = KafkaSender.EventIdPrefix(_identityText, Generation);
        _readPosition = 0;
        filled = 0;
        skipping = false;
        Tracker = new AckTracker(0, _sender.ReleaseWindow);
        _metrics.Truncated();
        LogTruncated(Path, Generation);
        return true;
    }

    private ValueTask ProcessLineAsync(ReadOnlyMemory<byte> line, long offset, long endOffset, CancellationToken cancellationToken)
    {
        var inspected = LineInspector.Inspect(line.Span);
        switch (inspected.Verdict)
        {
            case LineVerdict.Empty:
                _metrics.Skipped();
                MarkDone(endOffset);
                return ValueTask.CompletedTask;
            case LineVerdict.Invalid:
                _deadLetters.Write("invalid_json", inspected.Reason!, Path, offset, endOffset - offset, line.Span);
                MarkDone(endOffset);
                return ValueTask.CompletedTask;
            case LineVerdict.Repaired:
                _metrics.Repaired();
                break;
        }

        _metrics.Read();
        var eventId = KafkaSender.EventId(_eventIdPrefix, offset);
        return _sender.SendAsync(new ShipLine(Path, offset, endOffset, inspected.Key, inspected.Value!, eventId, Tracker)
        {
            TraceParent = inspected.TraceParent,
        }, cancellationToken);
    }

    private void DeadLetterTooLong(long start, long end, ReadOnlySpan<byte> tail)
    {
        _deadLetters.Write("too_long", tail.Length == end - start - 1
                ? $"line of {end - start} bytes exceeds Shipper:MaxLineBytes ({_options.MaxLineBytes})"
                : $"line of {end - start} bytes exceeds Shipper:MaxLineBytes ({_options.MaxLineBytes}); its last {tail.Length} bytes are kept",
            Path, start, end - start, tail);
        MarkDone(end);
    }

    /// <summary>A line that will not be sent still moves the checkpoint once it is accounted for.</summary>
    private void MarkDone(long endOffset)
    {
        Tracker.Sent(endOffset);
        Tracker.Acknowledged(endOffset);
    }

    private byte[] Grow(byte[] buffer, int filled)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _options.MaxLineBytes + InitialBufferBytes));
        buffer.AsSpan(0, filled).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    public void Dispose() => _handle.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path} shrank below its checkpoint (copytruncate): reading again from 0 as generation {Generation}")]
    private partial void LogTruncated(string path, long generation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path}@{Offset}: line longer than {MaxLineBytes} bytes; it goes to the dead-letter file")]
    private partial void LogTooLong(string path, long offset, int maxLineBytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Path}: its writer closed the log, read to the end at {Offset}")]
    private partial void LogWriterClosed(string path, long offset);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Path} is gone and drained up to {Offset}")]
    private partial void LogDrained(string path, long offset);
}
