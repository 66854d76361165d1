using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Clickstream.Shipper.Tailing;

/// <summary>
/// What the kernel knows about a file the shipper holds open, whatever its name is now: the name (or that it has none
/// left, deleted), and whether any process still holds it open for writing, which is the only way a deleted file
/// can grow again (a writer that was never told to reopen its log, such as nginx without a postrotate script).
/// </summary>
internal static partial class OpenFileState
{
    private const string DeletedSuffix = " (deleted)";
    private const int SetLease = 1024, ReadLease = 0, Unlock = 2; // F_SETLEASE, F_RDLCK, F_UNLCK
    private const int TryAgain = 11; // EAGAIN

    /// <summary>The file's current path, or null when it was deleted (its last name is gone).</summary>
    public static string? CurrentPath(SafeFileHandle handle)
    {
        var target = new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget;
        return target is null || target.EndsWith(DeletedSuffix, StringComparison.Ordinal) ? null : target;
    }

    /// <summary>
    /// True when some process holds the file open for writing: the kernel refuses a read lease then (EAGAIN). False
    /// when none does, and also when the kernel cannot tell us (leases disabled, a file owned by another user without
    /// CAP_LEASE, a file system without leases): then the caller falls back on time alone. Asked only of deleted files:
    /// a lease held while another process opens the file for writing would be broken with SIGIO to us, and a file
    /// without a name cannot be opened; the lease is given back at once anyway.
    /// </summary>
    public static bool HasWriter(SafeFileHandle handle)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var fd = (int)handle.DangerousGetHandle();
            if (Native.fcntl(fd, SetLease, ReadLease) == 0)
            {
                Native.fcntl(fd, SetLease, Unlock);
                return false;
            }

            return Marshal.GetLastPInvokeError() == TryAgain;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        public static partial int fcntl(int fd, int command, int argument);
    }
}
