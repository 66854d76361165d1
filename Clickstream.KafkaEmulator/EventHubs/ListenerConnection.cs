using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Authentication;
using System.Net.Security;
using System.Net.Sockets;

namespace Clickstream.KafkaEmulator.EventHubs;

/// <summary>
/// One client connection: TLS (or not), SASL, then every request checked against the rule's rights and
/// forwarded to the mock broker; the answers come back through <see cref="BrokerToClientAsync"/>.
/// </summary>
internal sealed class ListenerConnection(EventHubsListener listener, Socket client, SslServerAuthenticationOptions? ssl)
{
    /// <summary>TOPIC_AUTHORIZATION_FAILED: what Event Hubs answers a produce with a Listen-only key.</summary>
    private const short TopicAuthorizationFailed = 29;

    private const short UnsupportedSaslMechanism = 33;
    private const short SaslAuthenticationFailed = 58;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How much of an answer is read from the broker before it is passed on (four TLS records).</summary>
    private const int StreamChunkBytes = 64 * 1024;

    private readonly SasAuthenticator _authenticator = new(listener.Rules, developmentEmulator: ssl is null);
    private readonly ConcurrentDictionary<int, (short Api, short Version)> _patch = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly string? _remote = client.RemoteEndPoint?.ToString();
    private Stream _client = null!;
    private Socket? _broker;
    private SasRule? _rule;
    private short _handshakeVersion = -1;
    private long _lastActivity = listener.Time.GetTimestamp();
    private int _outstanding;

    public async Task RunAsync(CancellationToken stopping)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var reason = "closed";
        try
        {
            client.NoDelay = true;
            _client = new NetworkStream(client, ownsSocket: false);
            if (ssl is not null)
            {
                var tls = new SslStream(_client, leaveInnerStreamOpen: false);
                using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(cts.Token))
                {
                    handshake.CancelAfter(HandshakeTimeout);
                    await tls.AuthenticateAsServerAsync(ssl, handshake.Token);
                }

                _client = tls;
            }

            _broker = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await _broker.ConnectAsync(listener.Broker, cts.Token);
            var up = ClientToBrokerAsync(cts.Token);
            var down = BrokerToClientAsync(cts.Token);
            var idle = WatchIdleAsync(cts.Token);
            var first = await Task.WhenAny(up, down, idle);
            reason = first == idle ? "idle" : "one side closed";
            await cts.CancelAsync();
            Close();
            await Task.WhenAll(Quietly(up), Quietly(down), Quietly(idle));
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or AuthenticationException
            or ObjectDisposedException)
        {
            // A client that speaks plaintext to the TLS port, a broker set down, a client gone: the connection just ends.
            reason = ex.GetType().Name;
        }
        finally
        {
            Close();
            listener.LogConnectionEnded(_remote, reason);
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private void Close()
    {
        try
        {
            client.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        client.Dispose();
        _broker?.Dispose();
    }

    private void Touch() => Volatile.Write(ref _lastActivity, listener.Time.GetTimestamp());

    private async Task WatchIdleAsync(CancellationToken ct)
    {
        var timeout = listener.Options.IdleTimeout;
        while (true)
        {
            if (Volatile.Read(ref _outstanding) > 0)
            {
                // A request the broker has not answered yet (a JoinGroup waiting for the group) is not idleness.
                Touch();
            }

            var idle = listener.Time.GetElapsedTime(Volatile.Read(ref _lastActivity));
            if (idle >= timeout)
            {
                listener.CountIdleDisconnect();
                listener.LogIdle(_remote, timeout);
                return;
            }

            await Task.Delay(timeout - idle, listener.Time, ct);
        }
    }

    private async Task ClientToBrokerAsync(CancellationToken ct)
    {
        var sizeBytes = new byte[4];
        var limit = listener.Options.MaxRequestBytes;
        while (true)
        {
            if (!await ReadFullyAsync(_client, sizeBytes, ct))
            {
                return;
            }

            Touch();
            var size = BinaryPrimitives.ReadInt32BigEndian(sizeBytes);
            if (size > limit)
            {
                // Event Hubs answers nothing: it closes the connection (clients see a disconnect).
                listener.CountOversizedRequest();
                listener.LogOversized(size, _remote, limit);
                return;
            }

            if (size < 0 || (size < 8 && _handshakeVersion != 0))
            {
                return;
            }

            var frame = ArrayPool<byte>.Shared.Rent(size + 4);
            try
            {
                sizeBytes.CopyTo(frame, 0);
                if (!await ReadFullyAsync(_client, frame.AsMemory(4, size), ct))
                {
                    return;
                }

                Touch();
                if (!await HandleRequestAsync(frame, size, ct))
                {
                    return;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(frame);
            }
        }
    }

    /// <summary>False when the connection must end (failed authentication, a request before it).</summary>
    private async ValueTask<bool> HandleRequestAsync(byte[] frame, int size, CancellationToken ct)
    {
        if (_rule is null && _handshakeVersion == 0)
        {
            // SaslHandshake v0: the token comes raw, without a request header, and so does the answer.
            return await AuthenticateAsync(frame.AsMemory(4, size), correlationId: null, version: 0, ct);
        }

        var request = frame.AsMemory(4, size);
        var api = BinaryPrimitives.ReadInt16BigEndian(request.Span);
        var version = BinaryPrimitives.ReadInt16BigEndian(request.Span[2..]);
        var correlationId = BinaryPrimitives.ReadInt32BigEndian(request.Span[4..]);
        switch (api)
        {
            case KafkaApis.SaslHandshake:
                return await HandshakeAsync(request, version, correlationId, ct);
            case KafkaApis.SaslAuthenticate when _handshakeVersion == 1:
            {
                var body = new WireReader(request.Span, KafkaApis.BodyOffset(request.Span, api, version));
                var token = body.Bytes(KafkaApis.IsFlexible(api, version)).ToArray();
                return await AuthenticateAsync(token, correlationId, version, ct);
            }

            case KafkaApis.ApiVersions:
                _patch[correlationId] = (api, version);
                break;
            case var _ when _rule is null:
                listener.LogUnauthenticatedRequest(_remote, api);
                return false;
            case KafkaApis.Produce when !_rule.Rights.HasFlag(SasRights.Send):
                Refuse(SasRights.Send, "Produce");
                if (KafkaApis.RefuseProduce(request.Span, version, TopicAuthorizationFailed) is { } produceAnswer)
                {
                    await WriteToClientAsync(produceAnswer, ct);
                }

                return true;
            case KafkaApis.Fetch when !_rule.Rights.HasFlag(SasRights.Listen):
                Refuse(SasRights.Listen, "Fetch");
                await WriteToClientAsync(KafkaApis.RefuseFetch(request.Span, version, TopicAuthorizationFailed), ct);
                return true;
            case KafkaApis.Metadata or KafkaApis.FindCoordinator:
                _patch[correlationId] = (api, version);
                break;
        }

        Interlocked.Increment(ref _outstanding);
        var sent = 0;
        while (sent < size + 4)
        {
            sent += await _broker!.SendAsync(frame.AsMemory(sent, size + 4 - sent), SocketFlags.None, ct);
        }

        return true;
    }

    private void Refuse(SasRights right, string api)
    {
        listener.CountAuthorizationFailure();
        listener.LogUnauthorized(_rule!.Name, right, api, _remote);
    }

    private async ValueTask<bool> HandshakeAsync(ReadOnlyMemory<byte> request, short version, int correlationId, CancellationToken ct)
    {
        var body = new WireReader(request.Span, KafkaApis.BodyOffset(request.Span, KafkaApis.SaslHandshake, version));
        var mechanism = body.String(flexible: false);
        var supported = mechanism == "PLAIN";
        var answer = new WireWriter(correlationId, flexibleHeader: false)
            .Int16(supported ? (short)0 : UnsupportedSaslMechanism)
            .ArrayLength(1, flexible: false).String("PLAIN", flexible: false)
            .ToFrame();
        await WriteToClientAsync(answer, ct);
        if (!supported)
        {
            listener.AuthenticationFailed(_remote, $"unsupported SASL mechanism '{mechanism}' (only PLAIN)");
            return false;
        }

        _handshakeVersion = version;
        return true;
    }

    private async ValueTask<bool> AuthenticateAsync(ReadOnlyMemory<byte> token, int? correlationId, short version, CancellationToken ct)
    {
        var result = _authenticator.Authenticate(token.Span);
        if (correlationId is { } id)
        {
            var flexible = KafkaApis.IsFlexible(KafkaApis.SaslAuthenticate, version);
            var answer = new WireWriter(id, flexible)
                .Int16(result.Rule is null ? SaslAuthenticationFailed : (short)0)
                .String(result.Failure, flexible)
                .EmptyBytes(flexible);
            if (version >= 1)
            {
                answer.Int64(0); // session_lifetime_ms: no re-authentication required
            }

            await WriteToClientAsync(answer.Tags(flexible).ToFrame(), ct);
        }
        else if (result.Rule is not null)
        {
            await WriteToClientAsync(new byte[4], ct); // v0: an empty server token
        }

        _handshakeVersion = -1;
        if (result.Rule is null)
        {
            listener.AuthenticationFailed(_remote, result.Failure!);
            return false;
        }

        _rule = result.Rule;
        listener.LogAuthenticated(_remote, _rule.Name);
        return true;
    }

    private async Task BrokerToClientAsync(CancellationToken ct)
    {
        await using var broker = new BufferedStream(new NetworkStream(_broker!, ownsSocket: false), StreamChunkBytes);
        var chunk = ArrayPool<byte>.Shared.Rent(StreamChunkBytes);
        var port = ssl is null ? listener.DevelopmentEmulatorPort!.Value : listener.Port;
        try
        {
            while (true)
            {
                // Size and correlation id first: they say whether the answer must be rewritten.
                if (!await ReadFullyAsync(broker, chunk.AsMemory(0, 8), ct))
                {
                    return;
                }

                var size = BinaryPrimitives.ReadInt32BigEndian(chunk);
                if (size < 4)
                {
                    return;
                }

                Touch();
                Interlocked.Decrement(ref _outstanding);
                var correlationId = BinaryPrimitives.ReadInt32BigEndian(chunk.AsSpan(4));
                if (!_patch.IsEmpty && _patch.TryRemove(correlationId, out var sent))
                {
                    if (!await PatchAndForwardAsync(broker, chunk.AsMemory(0, 8), size, sent, port, ct))
                    {
                        return;
                    }

                    continue;
                }

                if (!await StreamThroughAsync(broker, chunk, size, ct))
                {
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>
    /// Passes an answer on as it arrives, chunk by chunk (cut-through): a fetch answer of megabytes is not held whole
    /// before its first byte goes out, so encrypting for the client overlaps reading from the broker.
    /// </summary>
    private async ValueTask<bool> StreamThroughAsync(Stream broker, byte[] chunk, int size, CancellationToken ct)
    {
        var remaining = size - 4;
        var filled = 8;
        await _writeLock.WaitAsync(ct);
        try
        {
            while (true)
            {
                var room = Math.Min(remaining, chunk.Length - filled);
                if (room > 0)
                {
                    var read = await broker.ReadAsync(chunk.AsMemory(filled, room), ct);
                    if (read == 0)
                    {
                        return false;
                    }

                    filled += read;
                    remaining -= read;
                }

                if (remaining == 0 || filled == chunk.Length)
                {
                    await _client.WriteAsync(chunk.AsMemory(0, filled), ct);
                    filled = 0;
                    if (remaining == 0)
                    {
                        return true;
                    }
                }
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async ValueTask<bool> PatchAndForwardAsync(Stream broker, ReadOnlyMemory<byte> head, int size, (short Api, short Version) sent, int port,
        CancellationToken ct)
    {
        var frame = ArrayPool<byte>.Shared.Rent(size + 4);
        try
        {
            head.CopyTo(frame);
            if (!await ReadFullyAsync(broker, frame.AsMemory(8, size - 4), ct))
            {
                return false;
            }

            var response = frame.AsMemory(4, size);
            switch (sent.Api)
            {
                case KafkaApis.ApiVersions:
                    await WriteToClientAsync(KafkaApis.RewriteApiVersions(response.Span, sent.Version), ct);
                    return true;
                case KafkaApis.Metadata:
                    KafkaApis.PatchMetadataPorts(response.Span, sent.Version, port);
                    break;
                case KafkaApis.FindCoordinator:
                    KafkaApis.PatchCoordinatorPorts(response.Span, sent.Version, port);
                    break;
            }

            await WriteToClientAsync(frame.AsMemory(0, size + 4), ct);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private async ValueTask WriteToClientAsync(ReadOnlyMemory<byte> frame, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            await _client.WriteAsync(frame, ct);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static async ValueTask<bool> ReadFullyAsync(Stream stream, Memory<byte> buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[read..], ct);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
