using System.Runtime.InteropServices;
using Clickstream.Contracts;
using Microsoft.Win32.SafeHandles;

namespace Clickstream.Pixel.AccessLog;

/// <summary>
/// A log file opened as nginx opens its logs: <c>O_WRONLY | O_CREAT | O_APPEND</c>, written with plain
/// <c>write(2)</c> from our own buffer. With <c>O_APPEND</c> the kernel puts every write at the file's
/// current end, so a <c>copytruncate</c> rotation makes the next line land at offset 0 instead of at the
/// old offset behind a hole of NUL bytes. (.NET's <c>FileMode.Append</c> only seeks to the end once at
/// open and then writes at its own position.)
/// </summary>
internal sealed partial class AppendOnlyFile : IDisposable
{
    // Linux's values (the generic ABI: x86-64 and arm64 alike).
    private const int WriteOnly = 0x1, Create = 0x40, Append = 0x400, CloseOnExec = 0x80000;
    private const int Interrupted = 4; // EINTR

    private readonly SafeFileHandle _handle;
    private readonly byte[] _buffer;
    private int _buffered;

    private AppendOnlyFile(SafeFileHandle handle, int bufferBytes)
    {
        _handle = handle;
        _buffer = new byte[bufferBytes];
        Identity = FileIdentity.OfHandle(handle);
    }

    /// <summary>The file this handle writes, whatever name it has now.</summary>
    public FileIdentity Identity { get; }

    /// <summary>Opens or creates <paramref name="path"/> (rw-r--r-- before the umask, as nginx does).</summary>
    public static AppendOnlyFile Open(string path, int bufferBytes)
    {
        var fd = Native.open(path, WriteOnly | Create | Append | CloseOnExec, 0b110_100_100);
        if (fd < 0)
        {
            throw Failure("open", path);
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            return new AppendOnlyFile(handle, bufferBytes);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The file's size as the kernel sees it (a copytruncate shrinks it), plus what is buffered here.</summary>
    public long Length => RandomAccess.GetLength(_handle) + _buffered;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > _buffer.Length - _buffered)
        {
            Flush();
            if (bytes.Length > _buffer.Length)
            {
                WriteAll(bytes);
                return;
            }
        }

        bytes.CopyTo(_buffer.AsSpan(_buffered));
        _buffered += bytes.Length;
    }

    /// <summary>Hands the buffered bytes to the kernel (not fsync: the page cache survives our own crash).</summary>
    public void Flush()
    {
        if (_buffered == 0)
        {
            return;
        }

        // On failure the buffer is given up: those lines are counted as dropped by the caller.
        var pending = _buffered;
        _buffered = 0;
        WriteAll(_buffer.AsSpan(0, pending));
    }

    private void WriteAll(ReadOnlySpan<byte> bytes)
    {
        var added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            var fd = (int)_handle.DangerousGetHandle();
            while (!bytes.IsEmpty)
            {
                var written = Native.write(fd, bytes, bytes.Length);
                if (written < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Interrupted)
                    {
                        continue;
                    }

                    throw Failure("write", null);
                }

                bytes = bytes[(int)written..];
            }
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    private static IOException Failure(string call, string? path)
    {
        var error = Marshal.GetLastPInvokeError();
        var reason = Marshal.GetPInvokeErrorMessage(error);
        return new IOException(path is null ? $"{call}: {reason}" : $"{call} {path}: {reason}", error);
    }

    public void Dispose() => _handle.Dispose();

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int open(string path, int flags, int mode);

        [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
        public static partial nint write(int fd, ReadOnlySpan<byte> buffer, nint count);
    }
}
