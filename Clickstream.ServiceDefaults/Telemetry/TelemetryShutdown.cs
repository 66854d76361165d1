using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Clickstream.ServiceDefaults.Telemetry;

/// <summary>
/// Flushes and shuts the OpenTelemetry providers down once every hosted service has stopped, all three at
/// once and within <see cref="Timeout"/>. Left to the container's disposal, each provider shuts down in
/// turn with a fixed 5 s allowance, and an OTLP endpoint that accepts but does not answer (a dashboard
/// that is itself stopping, a saturated collector) holds the exit for 15 s. Telemetry not delivered by
/// then is dropped: it never justifies a process that will not stop. The disposal that follows finds the
/// providers shut down and returns at once.
/// </summary>
internal sealed partial class TelemetryShutdown(IServiceProvider services, ILogger<TelemetryShutdown> logger) : IHostedLifecycleService
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        var timeout = (int)Timeout.TotalMilliseconds;
        List<Task<bool>> shutdowns = [];
        // Shutdown blocks (it joins the exporter thread), so each gets a thread of its own.
        if (services.GetService<TracerProvider>() is { } tracing)
        {
            shutdowns.Add(Task.Run(() => tracing.Shutdown(timeout), CancellationToken.None));
        }

        if (services.GetService<MeterProvider>() is { } metrics)
        {
            shutdowns.Add(Task.Run(() => metrics.Shutdown(timeout), CancellationToken.None));
        }

        if (services.GetService<LoggerProvider>() is { } logging)
        {
            shutdowns.Add(Task.Run(() => logging.Shutdown(timeout), CancellationToken.None));
        }

        try
        {
            // Their own timeout covers joining the exporter threads, not an export stuck in flight: bound both.
            var results = await Task.WhenAll(shutdowns).WaitAsync(Timeout, cancellationToken);
            if (results.Contains(false))
            {
                LogIncomplete(timeout);
            }
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            LogIncomplete(timeout);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telemetry not fully exported within {Timeout} ms of stopping; the rest is dropped")]
    private partial void LogIncomplete(int timeout);
}
