using System.Diagnostics;
using Clickstream.Contracts;
using Clickstream.Pixel.Hits;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Clickstream.Pixel.AccessLog;

/// <summary>
/// Requests Kestrel itself rejects (a malformed request line, headers beyond its limits) are answered before any
/// middleware runs; Kestrel reports each on its diagnostic source, and this logs it like any other answered request.
/// </summary>
internal sealed class KestrelRejectionLogger(DiagnosticListener diagnostics, AccessLogWriter log, AccessLogClock clock, IOptions<PixelOptions> options)
    : IHostedService, IObserver<KeyValuePair<string, object?>>
{
    private const string BadRequestEvent = "Microsoft.AspNetCore.Server.Kestrel.BadRequest";
    private readonly ClientAddress _client = new(options.Value);
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = diagnostics.Subscribe(this, name => name == BadRequestEvent);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key != BadRequestEvent || value.Value is not IFeatureCollection features)
        {
            return;
        }

        var request = features.Get<IHttpRequestFeature>();
        var error = features.Get<IBadRequestExceptionFeature>()?.Error as BadHttpRequestException;
        var peer = features.Get<IHttpConnectionFeature>()?.RemoteIpAddress;
        var headers = request?.Headers;
        log.TryWrite(new AccessLogEntry(
            Remote: _client.Resolve(peer, trusted: false, forwardedFor: null),
            Host: headers?.Host,
            Time: clock.Now(),
            Method: request?.Method,
            Path: request?.RawTarget,
            Code: error?.StatusCode ?? StatusCodes.Status400BadRequest,
            Size: 0,
            Referer: headers?.Referer,
            Agent: headers?.UserAgent,
            Cookie: null,
            TraceParent: string.Concat("00-", ActivityTraceId.CreateRandom().ToHexString(), "-", ActivitySpanId.CreateRandom().ToHexString(), "-00")));
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }
}
