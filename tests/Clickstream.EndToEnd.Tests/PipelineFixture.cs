using System.Net.Http.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Clickstream.Tests;

namespace Clickstream.EndToEnd.Tests;

/// <summary>
/// One started AppHost per test class (a start and dispose costs ~15 s), on free ports and a fresh data
/// directory, so it neither collides with a developer's running pipeline nor reads their logs.
/// </summary>
public class PipelineFixture : IAsyncLifetime
{
    private readonly Clickstream.Tests.TempDirectory _data = TestEnvironment.CreateTempDirectory("clickstream-e2e");

    public DistributedApplication App { get; private set; } = null!;

    public int PixelPort { get; } = TestEnvironment.FreeTcpPort();

    public int ConsumerPort { get; } = TestEnvironment.FreeTcpPort();

    public int KafkaPort { get; } = TestEnvironment.FreeTcpPort();

    public string Bootstrap => $"127.0.0.1:{KafkaPort}";

    public string DataDirectory => _data.Path;

    public Uri PixelUri => new($"http://127.0.0.1:{PixelPort}");

    public Uri ConsumerUri => new($"http://127.0.0.1:{ConsumerPort}");

    /// <summary>AppHost arguments a derived fixture adds, e.g. <c>--Pixel:Server=nginx</c>.</summary>
    protected virtual IEnumerable<string> ExtraArguments => [];

    /// <summary>A derived fixture's changes to the AppHost's configuration before it is built.</summary>
    protected virtual void Configure(IDistributedApplicationTestingBuilder builder)
    {
    }

    public async Task InitializeAsync()
    {
        string[] args =
        [
            $"--Clickstream:DataDirectory={_data.Path}",
            $"--Clickstream:Ports:Pixel={PixelPort}",
            $"--Clickstream:Ports:Consumer={ConsumerPort}",
            $"--Clickstream:Ports:Kafka={KafkaPort}",
            .. ExtraArguments,
        ];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Clickstream_AppHost>(args);
        Configure(builder);
        App = await builder.BuildAsync();
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await App.StartAsync(startup.Token);
        foreach (var resource in new[] { "kafka", "pixel", "shipper", "consumer" })
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, startup.Token);
        }
    }

    /// <summary>The consumer's <c>totalEvents</c>: hits counted once each.</summary>
    public async Task<long> TotalEventsAsync()
    {
        using var http = new HttpClient { BaseAddress = ConsumerUri };
        var stats = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/stats");
        return stats.GetProperty("totalEvents").GetInt64();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        _data.Dispose();
    }
}
