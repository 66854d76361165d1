using System.Collections.Concurrent;
using System.Net.Http.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Clickstream.Contracts;
using Clickstream.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Clickstream.EndToEnd.Tests;

/// <summary>
/// One started AppHost per test class (a start and dispose costs ~15 s), on free ports and a fresh data
/// directory, so it neither collides with a developer's running pipeline nor reads their logs.
/// </summary>
public class PipelineFixture : IAsyncLifetime
{
    private readonly Clickstream.Tests.TempDirectory _data = TestEnvironment.CreateTempDirectory("clickstream-e2e");
    private readonly ConcurrentQueue<string> _logs = new();

    public DistributedApplication App { get; private set; } = null!;

    public int PixelPort { get; private set; }

    public int ConsumerPort { get; private set; }

    public int KafkaPort { get; private set; }

    public string Bootstrap => $"127.0.0.1:{KafkaPort}";

    public string DataDirectory => _data.Path;

    public Uri PixelUri => new($"http://127.0.0.1:{PixelPort}");

    public Uri ConsumerUri => new($"http://127.0.0.1:{ConsumerPort}");

    /// <summary>Every resource's log lines, and the AppHost's own, of every start so far.</summary>
    public IReadOnlyCollection<string> Logs => _logs;

    /// <summary>AppHost arguments a derived fixture adds, e.g. <c>--Pixel:Server=nginx</c>.</summary>
    protected virtual IEnumerable<string> ExtraArguments => [];

    /// <summary>A derived fixture's changes to the AppHost's configuration before it is built.</summary>
    protected virtual void Configure(IDistributedApplicationTestingBuilder builder)
    {
    }

    /// <summary>Ports of a derived fixture's own (its <see cref="ExtraArguments"/> name them), picked again with ours on each attempt.</summary>
    protected virtual IReadOnlyList<int> PickExtraPorts() => [];

    /// <summary>The resources the first start waits to be healthy; a fixture that starts broken waits for fewer.</summary>
    protected virtual IEnumerable<string> HealthyAtStart => ["kafka", "pixel", "shipper", "consumer"];

    public async Task InitializeAsync()
    {
        // A free port is released before the AppHost binds it, so another process can take it meanwhile. Then a
        // service fails to start: the pipeline is started again on other ports (when one of ours is indeed taken).
        for (var attempt = 1; ; attempt++)
        {
            (PixelPort, ConsumerPort, KafkaPort) = (TestEnvironment.FreeTcpPort(), TestEnvironment.FreeTcpPort(), TestEnvironment.FreeTcpPort());
            var extraPorts = PickExtraPorts();
            try
            {
                await StartAsync(ExtraArguments, HealthyAtStart);
                return;
            }
            catch (ServiceDidNotStartException) when (attempt < 3)
            {
                await StopAsync();
                if (TestEnvironment.AreFree([PixelPort, ConsumerPort, KafkaPort, .. extraPorts]))
                {
                    throw; // not a port taken by someone else
                }
            }
        }
    }

    /// <summary>
    /// Starts the AppHost on this fixture's ports and data directory (stopping a running one first, so a test can
    /// restart the pipeline with other settings over the same logs and checkpoints), and waits for those resources to be healthy.
    /// </summary>
    public async Task StartAsync(IEnumerable<string> extraArguments, IEnumerable<string> healthy)
    {
        await StopAsync();
        string[] args =
        [
            $"--Clickstream:DataDirectory={_data.Path}",
            $"--Clickstream:Ports:Pixel={PixelPort}",
            $"--Clickstream:Ports:Consumer={ConsumerPort}",
            $"--Clickstream:Ports:Kafka={KafkaPort}",
            .. extraArguments,
        ];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Clickstream_AppHost>(args);
        builder.Services.AddLogging(logging => logging.AddProvider(new ResourceLogCapture(_logs)));
        Configure(builder);
        App = await builder.BuildAsync();
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await App.StartAsync(startup.Token);
        foreach (var resource in healthy)
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

    /// <summary>
    /// Aspire's testing host forwards each resource's console to <see cref="ILogger"/> under the category
    /// <c>{AppHost}.Resources.{resource}</c>; this provider keeps those lines as <c>resource: line</c>.
    /// </summary>
    private sealed class ResourceLogCapture(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName)
        {
            var at = categoryName.LastIndexOf(".Resources.", StringComparison.Ordinal);
            return new Capture(lines, at < 0 ? categoryName : categoryName[(at + ".Resources.".Length)..]);
        }

        public void Dispose()
        {
        }

        private sealed class Capture(ConcurrentQueue<string> lines, string resource) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{resource}: {formatter(state, exception)}");
        }
    }

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

    private async Task StopAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
            App = null!;
        }
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        _data.Dispose();
    }
}
