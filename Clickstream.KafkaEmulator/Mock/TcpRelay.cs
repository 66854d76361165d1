using System.Net;
using System.Net.Sockets;

namespace Clickstream.KafkaEmulator.Mock;

/// <summary>
/// Forwards a fixed loopback port to the mock broker's random one. librdkafka's mock cluster always
/// listens on an ephemeral port; users, scripts and kcat want a port they can write down.
/// </summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;

    public TcpRelay(IPAddress address, int port, IPEndPoint target)
    {
        _target = target;
        _listener = new TcpListener(address, port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start(backlog: 512);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync(_stopping.Token);
    }

    public int Port { get; }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(ct);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            _ = RelayAsync(client, ct);
        }
    }

    private async Task RelayAsync(Socket client, CancellationToken ct)
    {
        using var _ = client;
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await upstream.ConnectAsync(_target, ct);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var up = PumpAsync(client, upstream, linked.Token);
            var down = PumpAsync(upstream, client, linked.Token);
            await Task.WhenAny(up, down);
            // One side closed: close both, so the other pump ends too.
            await linked.CancelAsync();
            await Task.WhenAll(up, down);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
        {
            // A broker set down, or a client gone: the Kafka client sees a closed connection and retries.
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (read == 0)
                {
                    break;
                }

                var sent = 0;
                while (sent < read)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, ct);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            try
            {
                to.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        _stopping.Dispose();
    }
}
