using Clickstream.Contracts;
using Clickstream.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Instrumentation.AspNetCore;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The usual Aspire service defaults: OpenTelemetry, health checks, service discovery and HTTP resilience.
/// Every Clickstream service calls <see cref="AddServiceDefaults{TBuilder}"/> first.
/// </summary>
public static class Extensions
{
    private const string HealthEndpointPath = HealthProbes.HealthPath;
    private const string AlivenessEndpointPath = HealthProbes.AlivePath;

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // No exporter, no SDK pipelines: a listener that samples every span and aggregates every
        // measurement costs the pixel ~5 us a hit and the shipper ~4 us a line, for data nobody reads.
        // Under the AppHost (or with OTEL_EXPORTER_OTLP_ENDPOINT set) everything is recorded and exported.
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return builder;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
            })
            .WithTracing(tracing =>
            {
                // Each service and client integration adds its own sources and meters (AddTelemetry).
                tracing.AddSource(builder.Environment.ApplicationName)
                    .AddAspNetCoreInstrumentation(options =>
                        // Probes and the reconciliation strip's once-a-second polling would bury the one trace
                        // per hit in the Traces view, as Aspire's templates keep health checks out of it.
                        // Composed with a service's own untraced paths (AddTelemetry), whichever is configured first.
                        options.Filter = Both(options.Filter, context => !IsHousekeeping(context.Request.Path, served: true)))
                    .AddHttpClientInstrumentation(options =>
                        // The polling side too: its client span would be a root trace of its own every second.
                        options.FilterHttpRequestMessage = request =>
                            request.RequestUri is not { } uri || !IsHousekeeping(new PathString(uri.AbsolutePath), served: false));
            });

        builder.Services.AddOpenTelemetry().UseOtlpExporter();
        // Before the providers' own disposal, which is unbounded in practice (see TelemetryShutdown).
        builder.Services.AddHostedService<TelemetryShutdown>();
        return builder;
    }

    /// <summary>
    /// Exports a service's own meters and activity sources, the way Aspire's client integrations register
    /// theirs: each service names its own, so these defaults know none of them. Without an exporter
    /// (no <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>) nothing is registered and the names are ignored.
    /// </summary>
    /// <param name="untracedPaths">
    /// Paths this service serves that are housekeeping rather than part of a hit, such as what its own page polls
    /// every few seconds: left out of tracing like the probes (matched by path segments), so they do not bury the
    /// hits' traces. Their request metrics are still recorded.
    /// </param>
    public static TBuilder AddTelemetry<TBuilder>(this TBuilder builder, string[] meters, string[] activitySources, string[]? untracedPaths = null)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.ConfigureOpenTelemetryMeterProvider(m => m.AddMeter(meters));
        builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddSource(activitySources));
        if (untracedPaths is { Length: > 0 })
        {
            builder.Services.Configure<AspNetCoreTraceInstrumentationOptions>(options =>
                options.Filter = Both(options.Filter, context => !untracedPaths.Any(p => context.Request.Path.StartsWithSegments(p))));
        }

        return builder;
    }

    private static Func<HttpContext, bool> Both(Func<HttpContext, bool>? first, Func<HttpContext, bool> second) =>
        first is null ? second : context => first(context) && second(context);

    /// <summary>
    /// Probes and <c>/stats</c> polling: many a minute, never part of a hit. A request we send may go through
    /// a reverse proxy's prefix (<c>https://host/prefix/stats</c>), so its path is matched by its end.
    /// </summary>
    private static bool IsHousekeeping(PathString path, bool served) =>
        path.StartsWithSegments(HealthEndpointPath)
        || path.StartsWithSegments(AlivenessEndpointPath)
        || path.StartsWithSegments(StageStats.Path)
        || (!served && path.Value?.EndsWith(StageStats.Path, StringComparison.Ordinal) == true);

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary><c>/health</c>: every check must pass; <c>/alive</c>: only the liveness ones.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains("live"),
        });
        return app;
    }
}
