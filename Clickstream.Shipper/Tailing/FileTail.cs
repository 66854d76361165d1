using System.Buffers;
using System.Diagnostics;
using Clickstream.Contracts;
using Clickstream.Shipper.Buffering;
using Clickstream.Shipper.Checkpoints;
using Clickstream.Shipper.Delivery;
using Microsoft.Win32.SafeHandles;

namespace Clickstream.Shipper.Tailing;

/// <summary>
/// The source, for one file (one inode) from a position: splits it into lines, inspects each, gives it its event id,
/// tells the file's <see cref="AckTracker"/> about it, and hands the good ones to the <see cref="LineBuffer"/> in
/// batches (each line carrying its finalizer); lines it cannot send it dead-letters or skips, and finalizes itself
/// (Rejected, Dropped). It holds the file open, so a renamed or deleted file is still read; it
/// notices a copytruncate (the file shrank below what was read, or no longer holds the bytes last read)
/// and starts over at 0.
/// </summary>
/// <remarks>
/// A file no watched path names any more (<see cref="Gone"/>) is read until it has been at its end for
/// <c>RotateWait</c> counted from when a new file took its path (or from when it lost its last name), the time a
/// writer gets to reopen its log. Then <see cref="RunAsync"/> returns and the coordinator parks the tail: the handle
/// stays open and the file is looked at once per poll, so a writer that never reopened (nginx without a postrotate
/// script) and appends again later is read again from the checkpoint.
/// </remarks>
public sealed partial class FileTail : IDisposable
{
    private const int InitialBufferBytes = 64 * 1024;
    // The last bytes read, compared with the file at its end and after an idle spell: a copytruncate followed by a burst
    // that reached or outgrew the old read position before the next poll leaves a file that no longer holds them.
    private const int MarkBytes = 32;

    private readonly SafeFileHandle _handle;
    private readonly TailContext _context;
    private readonly ShipperOptions _options;
    private readonly ShipperMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<ShipLine> _batch = new(LineBuffer.MaxBatchLines); // lines read, not handed to the buffer yet
    private readonly string _identityText;
    private byte[] _eventIdPrefix;
    private long _readPosition;
    private readonly byte[] _mark = new byte[MarkBytes];
    private int _markLength;
    private long _successorSince; // when a new file took this one's path (or it lost its last name); 0: not yet

    /// <summary>Follows the file open as <paramref name="handle"/> (seen at <paramref name="path"/>) from <paramref name="offset"/> of <paramref name="generation"/>.</summary>
    public FileTail(TailContext context, string path, SafeFileHandle handle, FileIdentity identity, long generation, long offset)
    {
        _context = context;
        _options = context.Options;
        _metrics = context.Metrics;
        _time = context.Time;
        _logger = context.Logger;
        Path = path;
        _handle = handle;
        Identity = identity;
        _identityText = identity.ToString();
        Generation = generation;
        _eventIdPrefix = EventIds.Prefix(_identityText, generation);
        Tracker = new AckTracker(offset);
        _readPosition = offset;
    }

    /// <summary>The path the file was last seen at (it changes when the file is renamed).</summary>
    public string Path { get; set; }

    public FileIdentity Identity { get; }

    /// <summary>Counts copytruncates, so event ids stay unique when offsets start over.</summary>
    public long Generation { get; private set; }

    public AckTracker Tracker { get; private set; }

    /// <summary>Set when no watched path names this file any more: read on until its writer has had time to move on.</summary>
    public bool Gone { get; set; }

    /// <summary>Set by the coordinator while the tail does not run: a gone file read to its end, watched for growth.</summary>
    public bool Parked { get; set; }

    /// <summary>Records (once) that a new file took this one's path, or that it was deleted: RotateWait counts from then.</summary>
    public void SuccessorSeen()
    {
        if (Interlocked.Read(ref _successorSince) == 0)
        {
            Interlocked.Exchange(ref _successorSince, _time.GetTimestamp());
        }
    }

    /// <summary>The file is watched again (renamed back under a watched name): no successor counts any more.</summary>
    public void Watched()
    {
        Gone = false;
        Interlocked.Exchange(ref _successorSince, 0);
    }

    /// <summary>Length of the file behind the handle (it may have no name any more).</summary>
    public long Length => RandomAccess.GetLength(_handle);

    /// <summary>The handle, for the coordinator's questions about the file (its current name, whether a writer holds it).</summary>
    internal SafeFileHandle Handle => _handle;

    /// <summary>
    /// Before the tail runs again after it was parked: read again from the checkpoint (a partial last line that was
    /// read but not shipped is read again with its end).
    /// </summary>
    public void Unpark()
    {
        Volatile.Write(ref _readPosition, Tracker.Committed);
        _markLength = 0;
        Parked = false;
    }

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

    /// <summary>Bytes of the file read so far (handed to the buffer, or waiting for room in it).</summary>
    public long ReadPosition => Volatile.Read(ref _readPosition);

    public Checkpoint Checkpoint => new(Identity.Device, Identity.Inode, Generation, Tracker.Committed, Path);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        var filled = 0;
        var skipping = false; // inside a line longer than MaxLineBytes
        long skipStart = 0;
        var partialSince = _time.GetTimestamp();
        long idleSince = 0; // when a draining file was first found at its end
        long atEndSince = 0; // when the file was last found at its end (0: it grew since)
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

                    if (!StillHoldsMark())
                    {
                        // Truncated and written again up to exactly where we were (lines of the same lengths).
                        StartOver(ref filled, ref skipping);
                        continue;
                    }

                    if (filled > 0 && !skipping && _options.PartialLineTimeout is { } timeout && _time.GetElapsedTime(partialSince) >= timeout)
                    {
                        // Asked for: ship a last line that never got its newline.
                        await ProcessLineAsync(buffer.AsSpan(0, filled).ToArray(), _readPosition - filled, _readPosition, cancellationToken);
                        await HandOnAsync(cancellationToken);
                        filled = 0;
                        continue;
                    }

                    if (writerClosed)
                    {
                        LogWriterClosed(Path, ReadPosition);
                        return;
                    }

                    if (atEndSince == 0)
                    {
                        atEndSince = _time.GetTimestamp();
                    }

                    if (Draining)
                    {
                        // Draining without the pixel's marker: a writer that is still finishing may still append.
                        if (idleSince == 0)
                        {
                            idleSince = _time.GetTimestamp();
                        }
                        else if (_time.GetElapsedTime(idleSince) >= _options.DrainQuietPeriod)
                        {
                            LogDrained(Path, ReadPosition);
                            return;
                        }
                    }
                    else if (Gone && RotateWaitOver(atEndSince))
                    {
                        // Renamed or deleted: a writer that has not reopened yet may still append (Fluentd's rotate_wait),
                        // and RotateWait only starts once its new file exists. Parked, it is still watched for growth.
                        LogReleased(Path, ReadPosition, _options.RotateWait);
                        return;
                    }

                    await Task.Delay(_options.PollInterval, _time, cancellationToken);
                    continue;
                }

                if (atEndSince != 0 && !StillHoldsMark())
                {
                    // Truncated and written past our position again since we last looked: the lines are new ones.
                    StartOver(ref filled, ref skipping);
                    atEndSince = 0;
                    continue;
                }

                partialSince = _time.GetTimestamp();
                idleSince = 0;
                atEndSince = 0;
                var chunkStart = _readPosition - filled; // file offset of buffer[0]
                _readPosition += read;
                filled += read;
                _markLength = Math.Min(MarkBytes, filled);
                buffer.AsSpan(filled - _markLength, _markLength).CopyTo(_mark);

                var consumed = 0;
                while (true)
                {
                    // Synchronous per-line work; it stops early only when a full batch waits for room in the buffer.
                    var blocked = ProcessLines(buffer, filled, chunkStart, ref consumed, ref skipping, ref skipStart, cancellationToken);
                    if (blocked.IsCompletedSuccessfully)
                    {
                        break;
                    }

                    await blocked;
                }

                // What this read gave goes on now: a lone line waits for no batch to fill.
                var handedOn = HandOnAsync(cancellationToken);
                if (!handedOn.IsCompletedSuccessfully)
                {
                    await handedOn;
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
            if (_batch.Count > 0 && !cancellationToken.IsCancellationRequested)
            {
                // Failed between reading lines and handing them on: they are tracked, so they must reach their
                // finalizer, or the checkpoint would wait for them forever and the tail never be restarted.
                await HandOnAsync(cancellationToken);
            }
        }
    }

    /// <summary>
    /// Handles the complete lines in <c>buffer[consumed..filled]</c>, advancing <paramref name="consumed"/>.
    /// Returns a pending task when a full batch waits for room in the buffer (the lines after it are handled
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

    /// <summary>
    /// RotateWait is over for a gone file when it has been at its end that long, counted from when a new file took its
    /// path; a file deleted with no successor counts from when it was found without a name.
    /// </summary>
    private bool RotateWaitOver(long atEndSince)
    {
        if (Interlocked.Read(ref _successorSince) == 0 && _time.GetElapsedTime(atEndSince) >= _options.RotateWait
            && OpenFileState.CurrentPath(_handle) is null)
        {
            SuccessorSeen();
        }

        var successor = Interlocked.Read(ref _successorSince);
        return successor != 0 && _time.GetElapsedTime(Math.Max(successor, atEndSince)) >= _options.RotateWait;
    }

    /// <summary>Whether the file still holds the last bytes read where they were read.</summary>
    private bool StillHoldsMark()
    {
        if (_markLength == 0)
        {
            return true;
        }

        Span<byte> now = stackalloc byte[MarkBytes];
        var read = RandomAccess.Read(_handle, now[.._markLength], _readPosition - _markLength);
        return read == _markLength && now[.._markLength].SequenceEqual(_mark.AsSpan(0, _markLength));
    }

    private bool DetectTruncation(ref int filled, ref bool skipping)
    {
        if (RandomAccess.GetLength(_handle) >= _readPosition)
        {
            return false;
        }

        StartOver(ref filled, ref skipping);
        return true;
    }

    private void StartOver(ref int filled, ref bool skipping)
    {
        // copytruncate: the content was copied elsewhere and this file emptied; start over.
        Generation++;
        _eventIdPrefix = EventIds.Prefix(_identityText, Generation);
        _readPosition = 0;
        filled = 0;
        skipping = false;
        Tracker = new AckTracker(0);
        _markLength = 0;
        _metrics.Truncated();
        LogTruncated(Path, Generation);
    }

    private ValueTask ProcessLineAsync(ReadOnlyMemory<byte> line, long offset, long endOffset, CancellationToken cancellationToken)
    {
        var inspected = LineInspector.Inspect(line.Span);
        switch (inspected.Verdict)
        {
            case LineVerdict.Empty:
                _metrics.Skipped();
                MarkDone(endOffset, DeliveryOutcome.Dropped);
                return ValueTask.CompletedTask;
            case LineVerdict.Invalid:
                _context.DeadLetters.Write("invalid_json", inspected.Reason!, Path, offset, endOffset - offset, line.Span);
                MarkDone(endOffset, DeliveryOutcome.Rejected);
                return ValueTask.CompletedTask;
            case LineVerdict.Repaired:
                _metrics.Repaired();
                break;
        }

        _metrics.Read();
        var value = inspected.Value!;
        Tracker.Track(endOffset, value.Length);
        _batch.Add(new ShipLine(Path, offset, endOffset, inspected.Key, value, EventIds.For(_eventIdPrefix, offset), Tracker)
        {
            TraceParent = inspected.TraceParent,
        });
        return _batch.Count < LineBuffer.MaxBatchLines ? ValueTask.CompletedTask : HandOnAsync(cancellationToken);
    }

    /// <summary>Hands the lines read so far to the buffer, waiting while it is full.</summary>
    private ValueTask HandOnAsync(CancellationToken cancellationToken)
    {
        if (_batch.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        var batch = _batch.ToArray();
        _batch.Clear();
        return _context.Buffer.WriteAsync(batch, cancellationToken);
    }

    private void DeadLetterTooLong(long start, long end, ReadOnlySpan<byte> tail)
    {
        _context.DeadLetters.Write("too_long", tail.Length == end - start - 1
                ? $"line of {end - start} bytes exceeds Shipper:MaxLineBytes ({_options.MaxLineBytes})"
                : $"line of {end - start} bytes exceeds Shipper:MaxLineBytes ({_options.MaxLineBytes}); its last {tail.Length} bytes are kept",
            Path, start, end - start, tail);
        MarkDone(end, DeliveryOutcome.Rejected);
    }

    /// <summary>
    /// A line that will not be sent, finalized by the source itself: the checkpoint moves over it in order. It is the
    /// newest line tracked, and every finalized line before it is folded already, so it frees no window room.
    /// </summary>
    private void MarkDone(long endOffset, DeliveryOutcome outcome)
    {
        Tracker.Track(endOffset);
        var folded = Tracker.Finalized(endOffset, outcome);
        Debug.Assert(folded.Lines == 0, "a line the source finalizes moves the checkpoint over no sent line");
    }

    private byte[] Grow(byte[] buffer, int filled)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _options.MaxLineBytes + InitialBufferBytes));
        buffer.AsSpan(0, filled).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    public void Dispose() => _handle.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path} was truncated (copytruncate; it shrank, or no longer holds the bytes last read): reading again from 0 as generation {Generation}")]
    private partial void LogTruncated(string path, long generation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path}@{Offset}: line longer than {MaxLineBytes} bytes; it goes to the dead-letter file")]
    private partial void LogTooLong(string path, long offset, int maxLineBytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Path}: its writer closed the log, read to the end at {Offset}")]
    private partial void LogWriterClosed(string path, long offset);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Path} is gone and drained up to {Offset}")]
    private partial void LogDrained(string path, long offset);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Path} is no longer watched and was read to {Offset}, idle for {RotateWait} after a new file took its path: parked, read again if it grows")]
    private partial void LogReleased(string path, long offset, TimeSpan rotateWait);
}
