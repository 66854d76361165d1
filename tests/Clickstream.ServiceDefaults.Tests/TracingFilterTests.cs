using Clickstream.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Instrumentation.AspNetCore;

namespace Clickstream.ServiceDefaults.Tests;

/// <summary>Which served requests are traced: hits yes; probes, /stats and a service's own untraced paths no.</summary>
public sealed class TracingFilterTests
{
    [Theory]
    [InlineData("/i", true)]
    [InlineData("/", true)]
    [InlineData("/apiary", true)]            // segments, not text: only /api and what is under it
    [InlineData(HealthProbes.HealthPath, false)]
    [InlineData(HealthProbes.AlivePath, false)]
    [InlineData(StageStats.Path, false)]
    [InlineData("/api", false)]
    [InlineData("/api/events/recent", false)]
    [InlineData("/api/stream", false)]
    public void Probes_stats_polling_and_a_services_untraced_paths_make_no_trace(string path, bool traced)
    {
        // Registered in both orders: the service's paths and the defaults' filter compose either way.
        foreach (var telemetryFirst in new[] { false, true })
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9" });
            if (telemetryFirst)
            {
                builder.AddTelemetry(meters: [], activitySources: [], untracedPaths: ["/api"]);
                builder.AddServiceDefaults();
            }
            else
            {
                builder.AddServiceDefaults();
                builder.AddTelemetry(meters: [], activitySources: [], untracedPaths: ["/api"]);
            }

            using var host = builder.Build();
            var filter = host.Services.GetRequiredService<IOptionsMonitor<AspNetCoreTraceInstrumentationOptions>>().Get(Options.DefaultName).Filter;
            Assert.NotNull(filter);
            var context = new DefaultHttpContext();
            context.Request.Path = path;
            Assert.Equal(traced, filter(context));
        }
    }
}
