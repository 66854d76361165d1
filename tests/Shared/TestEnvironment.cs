using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Clickstream.Tests;

/// <summary>Small helpers every test project shares (linked from tests/Shared).</summary>
internal static class TestEnvironment
{
    /// <summary>
    /// A port nothing listens on now. It is released on return, so whoever binds it later may find it taken by
    /// another process: prefer port 0 (the server picks and keeps it) where the server can report it back, and
    /// otherwise retry on a failed bind (<see cref="AreFree"/> tells a taken port from another failure).
    /// </summary>
    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Starts something on a port <see cref="FreeTcpPort"/> found, and on another one when that port was taken in
    /// between (the race of a released port): for servers that cannot bind port 0 and report the port back.
    /// </summary>
    public static T StartOnFreePort<T>(Func<int, T> start, int attempts = 5)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return start(FreeTcpPort());
            }
            catch (Exception ex) when (attempt < attempts && IsAddressInUse(ex))
            {
            }
        }
    }

    /// <summary>Whether a failed start was a bind to a port that is taken (possibly wrapped, or in a child's message).</summary>
    public static bool IsAddressInUse(Exception? ex) =>
        ex is not null && (ex is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }
                           || ex.Message.Contains("Address already in use", StringComparison.OrdinalIgnoreCase)
                           || IsAddressInUse(ex.InnerException));

    /// <summary>Whether every port can be bound on the loopback now (none is held by another process).</summary>
    public static bool AreFree(params int[] ports) => ports.All(port =>
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    });

    /// <summary>A fresh directory under the system temp directory, deleted by the caller's <c>using</c>.</summary>
    public static TempDirectory CreateTempDirectory(string prefix) => new(prefix);

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes; returns whether it held.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(100));
        }

        return await condition();
    }

    public static Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan timeout, TimeSpan? interval = null) =>
        EventuallyAsync(() => Task.FromResult(condition()), timeout, interval);
}

internal sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A process that still holds a file open; the OS cleans temp.
        }
    }
}
