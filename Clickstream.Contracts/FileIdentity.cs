using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Clickstream.Contracts;

/// <summary>
/// A file's identity: device and inode, the first half of every message's <c>event-id</c>. A rename keeps
/// it, so a rotated file is still known (the shipper follows it); a copytruncate keeps it too, and is told
/// apart by its size shrinking. The pixel compares its open log's identity with its path's to notice that
/// a rotator renamed or deleted the file.
/// </summary>
public readonly partial record struct FileIdentity(ulong Device, ulong Inode)
{
    public override string ToString() => $"{Device}:{Inode}";

    public static FileIdentity? OfPath(string path)
    {
        var stat = new byte[StatBufferSize];
        return Native.stat(path, stat) == 0 ? FromStat(stat) : null;
    }

    public static FileIdentity OfHandle(SafeFileHandle handle)
    {
        var stat = new byte[StatBufferSize];
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (Native.fstat((int)handle.DangerousGetHandle(), stat) != 0)
            {
                throw new IOException($"fstat failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        return FromStat(stat);
    }

    // Linux x86-64 and arm64 both start struct stat with st_dev then st_ino, 8 bytes each.
    private const int StatBufferSize = 256;

    private static FileIdentity FromStat(byte[] stat) =>
        new(BitConverter.ToUInt64(stat, 0), BitConverter.ToUInt64(stat, 8));

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int stat(string path, byte[] buffer);

        [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
        public static partial int fstat(int fd, byte[] buffer);
    }
}
