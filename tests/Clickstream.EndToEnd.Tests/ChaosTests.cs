using System.Diagnostics;
using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Clickstream.Tests;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Clickstream.EndToEnd.Tests;

/// <summary>Its own AppHost: the test restarts services and stops the broker, which would disturb other tests.</summary>
public sealed class ChaosFixture : PipelineFixture;

/// <summary>
/// While hits flow: restart the shipper, stop the broker for 10 s, restart the consumer. At the end the
/// consumer's total equals the pixel's 200 answers, exactly: nothing lost, nothing counted twice.
/// </summary>
public sealed class ChaosTests(ChaosFixture pipeline, ITestOutputHelper output) : IClassFixture<ChaosFixture>
{
    [Fact]
    public async Task Restarts_and_a_broker_outage_lose_nothing_and_count_nothing_twice()
    {
        var before = await pipeline.TotalEventsAsync();
        using var stop = new CancellationTokenSource();
        var load = new PacedLoad(pipeline.PixelUri, hitsPerSecond: 150);
        var flowing = load.RunAsync(stop.Token);
        var commands = pipeline.App.Services.GetRequiredService<ResourceCommandService>();
        var clock = Stopwatch.StartNew();
        using var bounded = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        await Task.Delay(TimeSpan.FromSeconds(3));
        await RestartAsync(commands, "shipper", bounded.Token);
        output.WriteLine($"{clock.Elapsed:mm\\:ss\\.f} shipper restarted, {load.Ok} hits so far");

        using (var emulator = new HttpClient { BaseAddress = pipeline.App.GetEndpoint("kafka", "http") })
        {
            (await emulator.PostAsync("/faults/brokers/1/down", null)).EnsureSuccessStatusCode();
            output.WriteLine($"{clock.Elapsed:mm\\:ss\\.f} broker down");
            await Task.Delay(TimeSpan.FromSeconds(10));
            (await emulator.PostAsync("/faults/brokers/1/up", null)).EnsureSuccessStatusCode();
            output.WriteLine($"{clock.Elapsed:mm\\:ss\\.f} broker up, {load.Ok} hits so far");
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        await RestartAsync(commands, "consumer", bounded.Token);
        output.WriteLine($"{clock.Elapsed:mm\\:ss\\.f} consumer restarted, {load.Ok} hits so far");
        await Task.Delay(TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await flowing;

        Assert.True(load.Failed == 0, $"{load.Failed} pixel requests did not get a 200");
        Assert.True(load.Ok > 1000, $"only {load.Ok} hits flowed: the load did not run");
        var expected = load.Ok;
        var caughtUp = await TestEnvironment.EventuallyAsync(async () => await pipeline.TotalEventsAsync() - before >= expected,
            TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500));
        var counted = await pipeline.TotalEventsAsync() - before;
        output.WriteLine($"{clock.Elapsed:mm\\:ss\\.f} sent {expected} (200), counted {counted}");
        Assert.True(caughtUp, $"lost: the consumer counted {counted} of {expected} hits answered 200");

        // Redeliveries after the restarts must not show up late as extra counts: once the consumer has applied or
        // dropped every message on the topic, a duplicate applied would be in the total.
        await pipeline.SettledAsync();
        Assert.Equal(expected, await pipeline.TotalEventsAsync() - before);
    }

    private async Task RestartAsync(ResourceCommandService commands, string resource, CancellationToken cancellationToken)
    {
        // The service gets SIGTERM itself, as from systemd or Kubernetes; it must flush and checkpoint. (DCP's
        // stop command signals the `dotnet run` wrapper and, on this loaded 2-core machine, sometimes gives up
        // after 12 s with "timed out waiting for process to stop", leaving the resource in an unknown state.)
        // A service that has not exited 15 s later is killed: then at-least-once and the event-id carry it.
        var wrapper = ProcessId(resource);
        var service = ChildrenOf(wrapper).DefaultIfEmpty(wrapper).ToList();
        Signal("TERM", service);
        using (var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            grace.CancelAfter(TimeSpan.FromSeconds(15));
            try
            {
                await pipeline.App.ResourceNotifications.WaitForResourceAsync(resource, KnownResourceStates.TerminalStates, grace.Token);
                output.WriteLine($"{resource} stopped on SIGTERM");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Signal("KILL", [wrapper, .. service]);
                await pipeline.App.ResourceNotifications.WaitForResourceAsync(resource, KnownResourceStates.TerminalStates, cancellationToken);
                output.WriteLine($"{resource} killed after 15 s");
            }
        }

        var start = await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, cancellationToken);
        Assert.True(start.Success, $"start {resource}: {start.Message}");
        // The command returns once the process is started; wait until it answers again.
        using var http = new HttpClient { BaseAddress = pipeline.App.GetEndpoint(resource, "http") };
        var up = await TestEnvironment.EventuallyAsync(async () =>
        {
            try
            {
                return (await http.GetAsync("/health", cancellationToken)).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(250));
        Assert.True(up, $"{resource} did not answer /health within 60 s after its restart");
    }

    private int ProcessId(string resource)
    {
        Assert.True(pipeline.App.ResourceNotifications.TryGetCurrentState(resource, out var state), $"no state for {resource}");
        var pid = state!.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value;
        return Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static IEnumerable<int> ChildrenOf(int pid)
    {
        foreach (var stat in Directory.EnumerateDirectories("/proc").Select(d => Path.Combine(d, "stat")))
        {
            string text;
            try
            {
                text = File.ReadAllText(stat);
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            if (int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == pid)
            {
                yield return int.Parse(text[..text.IndexOf(' ')], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }

    private static void Signal(string signal, IEnumerable<int> pids)
    {
        using var kill = System.Diagnostics.Process.Start("kill", [$"-{signal}", .. pids.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        kill.WaitForExit();
    }

    /// <summary>A steady stream of pixel hits from a few connections, counting the answers.</summary>
    private sealed class PacedLoad(Uri pixel, int hitsPerSecond)
    {
        private long _ok;
        private long _failed;

        public long Ok => Interlocked.Read(ref _ok);

        public long Failed => Interlocked.Read(ref _failed);

        public async Task RunAsync(CancellationToken stop)
        {
            using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = pixel };
            const int connections = 4;
            var interval = TimeSpan.FromSeconds(connections / (double)hitsPerSecond);
            await Task.WhenAll(Enumerable.Range(0, connections).Select(async connection =>
            {
                using var timer = new PeriodicTimer(interval);
                var n = 0;
                try
                {
                    while (await timer.WaitForNextTickAsync(stop))
                    {
                        try
                        {
                            using var response = await http.GetAsync($"/i?param=chaos&c={connection}&n={n++}", CancellationToken.None);
                            Interlocked.Increment(ref response.StatusCode == HttpStatusCode.OK ? ref _ok : ref _failed);
                        }
                        catch (HttpRequestException)
                        {
                            Interlocked.Increment(ref _failed);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // Stopped: the answers counted so far are the truth.
                }
            }));
        }
    }
}
