using Clickstream.Shipper.Tailing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Clickstream.Shipper.Tests;

/// <summary>The shipper component alone (no web host), configured like the AppHost configures it.</summary>
internal sealed class ShipperHost : IAsyncDisposable
{
    private readonly IHost _host;

    public ShipperHost(string bootstrap, string topic, string logGlob, string stateDirectory, IDictionary<string, string?>? extra = null)
    {
        var builder = Host.CreateApplicationBuilder();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:kafka"] = bootstrap,
            ["Kafka:Topic"] = topic,
            ["Shipper:Paths:0"] = logGlob,
            ["Shipper:StateDirectory"] = stateDirectory,
            ["Shipper:PollInterval"] = "00:00:00.020",
            ["Shipper:CheckpointInterval"] = "00:00:00.200",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddShipper();
        _host = builder.Build();
    }

    public IServiceProvider Services => _host.Services;

    public TailCoordinator Tails => _host.Services.GetRequiredService<TailCoordinator>();

    public ShipperMetrics Metrics => _host.Services.GetRequiredService<ShipperMetrics>();

    public Task StartAsync() => _host.StartAsync();

    public Task StopAsync() => _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
