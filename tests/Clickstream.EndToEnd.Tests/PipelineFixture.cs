using System.Net.Http.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Clickstream.Contracts;
using Clickstream.Tests;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Clickstream.EndToEnd.Tests;

/// <summary>
/// One started AppHost per test class (a start and dispose costs ~15 s), on free ports and a fresh data
/// directory, so it neither collides with a developer's running pipeline nor reads their logs.
/// </summary>
public class PipelineFixture : IAsyncLifetime
{
    private readonly Clickstream.Tests.TempDirectory _data = TestEnvironment.CreateTempDirectory("clickstream-e2e");

    public DistributedApplication App { get; private set; } = null!;

    public int PixelPort { get; private set; }

    public int ConsumerPort { get; private set; }

    public int KafkaPort { get; private set; }

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
        // A free port is released before the AppHost binds it, so another process can take it meanwhile. Then a
        // service fails to start: the pipeline is started again on other ports (when one of ours is indeed taken).
        for (var attempt = 1; ; attempt++)
        {
            (PixelPort, ConsumerPort, KafkaPort) = (TestEnvironment.FreeTcpPort(), TestEnvironment.FreeTcpPort(), TestEnvironment.FreeTcpPort());
            try
            {
                await StartAsync();
                return;
            }
            catch (ServiceDidNotStartException) when (attempt < 3)
            {
                await App.DisposeAsync();
                if (TestEnvironment.AreFree(PixelPort, ConsumerPort, KafkaPort))
                {
                    throw; // not a port taken by someone else
                }
            }
        }
    }

    private async Task StartAsync()
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
            // Healthy, or ended (a port in use ends a service at once): no waiting out the timeout for a service that is gone.
            var reached = await App.ResourceNotifications.WaitForResourceAsync(resource,
                e => e.Snapshot.HealthStatus == HealthStatus.Healthy || KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text),
                startup.Token);
            if (reached.Snapshot.HealthStatus != HealthStatus.Healthy)
            {
                throw new ServiceDidNotStartException($"{resource} ended as {reached.Snapshot.State?.Text} instead of becoming healthy");
            }
        }
    }

    private sealed class ServiceDidNotStartException(string message) : Exception(message);

    /// <summary>The consumer's <c>totalEvents</c>: hits counted once each.</summary>
    public async Task<long> TotalEventsAsync()
    {
        using var http = new HttpClient { BaseAddress = ConsumerUri };
        var stats = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/stats");
        return stats.GetProperty("totalEvents").GetInt64();
    }

    /// <summary>
    /// Waits until the consumer has dealt with every message on the topic (applied, or dropped as a redelivery),
    /// so a duplicate applied would show in <c>totalEvents</c> by then: no fixed pause. Returns the messages.
    /// </summary>
    internal async Task<IReadOnlyList<Kcat.Message>> SettledAsync()
    {
        IReadOnlyList<Kcat.Message> messages = [];
        long handled = -1;
        var settled = await TestEnvironment.EventuallyAsync(async () =>
        {
            messages = await Kcat.ReadAllAsync(Bootstrap, PipelineDefaults.Topic, TimeSpan.FromSeconds(30));
            using var http = new HttpClient { BaseAddress = ConsumerUri };
            var stats = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/stats");
            handled = stats.GetProperty("totalEvents").GetInt64() + stats.GetProperty("duplicatesDropped").GetInt64();
            return handled == messages.Count;
        }, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(500));
        Assert.True(settled, $"the consumer applied or dropped {handled} of the {messages.Count} messages on the topic");
        return messages;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        _data.Dispose();
    }
}
