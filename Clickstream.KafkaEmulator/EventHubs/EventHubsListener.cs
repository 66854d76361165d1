using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Clickstream.KafkaEmulator.Mock;
using Microsoft.Extensions.Logging.Abstractions;

namespace Clickstream.KafkaEmulator.EventHubs;

/// <summary>
/// Event Hubs' Kafka endpoint, at the connection level, in front of the mock broker: TLS with a
/// generated development CA, SASL PLAIN with <c>$ConnectionString</c> checked against shared access
/// rules and their rights, the request size limit and the idle cut; everything else passes through.
/// The mock advertises its plain port, so Metadata and FindCoordinator answers are patched to name this
/// listener's port (the host, 127.0.0.1 or localhost, is in the certificate either way).
/// </summary>
public sealed partial class EventHubsListener : IAsyncDisposable
{
    private static readonly TimeSpan AuthenticationReportInterval = TimeSpan.FromSeconds(30);
    private readonly KafkaMockCluster _cluster;
    private readonly Dictionary<string, (long At, int Repeats)> _authenticationReports = new(StringComparer.Ordinal);
    private readonly TcpListener _tls;
    private readonly TcpListener? _development;
    private readonly SslServerAuthenticationOptions _sslOptions;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _acceptLoops = [];
    private long _authenticationFailures;
    private long _authorizationFailures;
    private long _oversizedRequests;
    private long _idleDisconnects;
    private long _connections;

    private EventHubsListener(KafkaMockCluster cluster, EventHubsListenerOptions options, ListenerCertificates certificates, ILogger logger,
        TimeProvider time)
    {
        if (cluster.BrokerCount != 1)
        {
            throw new ArgumentException("The Event Hubs listener fronts a single-broker cluster.", nameof(cluster));
        }

        _cluster = cluster;
        Options = options;
        Rules = options.EffectiveRules();
        Logger = logger;
        Time = time;
        CaPath = certificates.CaPath;
        _sslOptions = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(certificates.Server, null),
            ClientCertificateRequired = false,
        };
        _tls = Listen(options.Port);
        Port = ((IPEndPoint)_tls.LocalEndpoint).Port;
        if (options.DevelopmentEmulatorPort is { } developmentPort)
        {
            try
            {
                _development = Listen(developmentPort);
            }
            catch
            {
                _tls.Stop();
                throw;
            }

            DevelopmentEmulatorPort = ((IPEndPoint)_development.LocalEndpoint).Port;
        }

        _acceptLoops.Add(AcceptLoopAsync(_tls, tls: true, _stopping.Token));
        if (_development is not null)
        {
            _acceptLoops.Add(AcceptLoopAsync(_development, tls: false, _stopping.Token));
        }
    }

    /// <summary>Starts listening; generates (or reuses) the CA and server certificate in the options' directory.</summary>
    public static EventHubsListener Start(KafkaMockCluster cluster, EventHubsListenerOptions options, ILogger? logger = null, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var certificates = ListenerCertificates.LoadOrCreate(options.CertificateDirectory, time);
        return new EventHubsListener(cluster, options, certificates, logger ?? NullLogger.Instance, time);
    }

    /// <summary>The TLS + SASL port (Event Hubs' 9093).</summary>
    public int Port { get; }

    /// <summary>The SASL_PLAINTEXT port with the Event Hubs emulator's convention; null when off.</summary>
    public int? DevelopmentEmulatorPort { get; }

    /// <summary>The CA certificate clients trust (<c>ssl.ca.location</c>).</summary>
    public string CaPath { get; }

    internal EventHubsListenerOptions Options { get; }

    internal IReadOnlyList<SasRule> Rules { get; }

    internal ILogger Logger { get; }

    internal TimeProvider Time { get; }

    internal IPEndPoint Broker => _cluster.BrokerEndpoint;

    public long AuthenticationFailures => Interlocked.Read(ref _authenticationFailures);

    /// <summary>Produce or Fetch requests refused because the rule lacks Send or Listen.</summary>
    public long AuthorizationFailures => Interlocked.Read(ref _authorizationFailures);

    public long OversizedRequests => Interlocked.Read(ref _oversizedRequests);

    public long IdleDisconnects => Interlocked.Read(ref _idleDisconnects);

    /// <summary>Connections accepted on either port since the start.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>
    /// Counts a refused client and logs why, at most once per <see cref="AuthenticationReportInterval"/> for the same
    /// reason: a client with a wrong key reconnects several times a second and would drown the log.
    /// </summary>
    internal void AuthenticationFailed(string? remote, string reason)
    {
        Interlocked.Increment(ref _authenticationFailures);
        var now = Time.GetTimestamp();
        int repeats;
        lock (_authenticationReports)
        {
            if (_authenticationReports.TryGetValue(reason, out var last) && Time.GetElapsedTime(last.At, now) < AuthenticationReportInterval)
            {
                _authenticationReports[reason] = (last.At, last.Repeats + 1);
                return;
            }

            repeats = last.Repeats;
            _authenticationReports[reason] = (now, 0);
        }

        LogAuthenticationFailed(remote, reason, repeats);
    }

    internal void CountAuthorizationFailure() => Interlocked.Increment(ref _authorizationFailures);

    internal void CountOversizedRequest() => Interlocked.Increment(ref _oversizedRequests);

    internal void CountIdleDisconnect() => Interlocked.Increment(ref _idleDisconnects);

    private static TcpListener Listen(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start(backlog: 512);
        return listener;
    }

    private async Task AcceptLoopAsync(TcpListener listener, bool tls, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(ct);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            Interlocked.Increment(ref _connections);
            _ = new ListenerConnection(this, client, tls ? _sslOptions : null).RunAsync(ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync();
        _tls.Stop();
        _development?.Stop();
        await Task.WhenAll(_acceptLoops);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event Hubs listener: authentication failed for {Remote}: {Reason} ({Repeats} more since the last report)")]
    private partial void LogAuthenticationFailed(string? remote, string reason, int repeats);

    [LoggerMessage(Level = LogLevel.Information, Message = "Event Hubs listener: {Remote} authenticated with rule {Rule}")]
    internal partial void LogAuthenticated(string? remote, string rule);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event Hubs listener: rule {Rule} lacks the {Right} right; {Api} request from {Remote} refused with TOPIC_AUTHORIZATION_FAILED")]
    internal partial void LogUnauthorized(string rule, SasRights right, string api, string? remote);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event Hubs listener: request of {Bytes} bytes from {Remote} exceeds {Limit}; connection closed, as Event Hubs does")]
    internal partial void LogOversized(int bytes, string? remote, int limit);

    [LoggerMessage(Level = LogLevel.Information, Message = "Event Hubs listener: connection from {Remote} idle for {Idle}; closed, as Event Hubs does")]
    internal partial void LogIdle(string? remote, TimeSpan idle);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event Hubs listener: {Remote} sent API {Api} before authenticating; connection closed")]
    internal partial void LogUnauthenticatedRequest(string? remote, short api);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Event Hubs listener: connection from {Remote} ended: {Reason}")]
    internal partial void LogConnectionEnded(string? remote, string reason);
}
