using System.Collections.Concurrent;
using System.Net;
using Clickstream.Contracts;
using Clickstream.KafkaEmulator.Mock;
using Clickstream.Tests;
using Xunit.Abstractions;

namespace Clickstream.EndToEnd.Tests;

/// <summary>
/// A Container App replica going away, as the deployed unit lives it: the real pixel and shipper processes, with the
/// published settings (<c>Shipper__DrainOnStop=true</c>), get SIGTERM together while hits arrive; then their volume
/// is deleted, as Container Apps deletes an EmptyDir. Every hit the pixel answered must be on the topic (read with kcat).
/// </summary>
public sealed class DrainTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Sigterm_under_load_ships_every_answered_hit_before_the_volume_goes()
    {
        await using var cluster = KafkaMockCluster.Start();
        cluster.CreateTopic(PipelineDefaults.Topic, 4);
        // A slow broker and a small window (at most 20 lines per 50 ms round trip): the shipper falls behind the
        // pixel, so when SIGTERM comes a full window is in flight and more lines wait unread in the log.
        cluster.SetBrokerLatency(TimeSpan.FromMilliseconds(50));
        using var volume = TestEnvironment.CreateTempDirectory("clickstream-replica");
        var logs = Path.Combine(volume.Path, "logs");
        using var pixel = await ServiceProcess.StartAsync("Clickstream.Pixel", output, new()
        {
            ["AccessLog__Directory"] = logs,
        }, TimeSpan.FromMinutes(1));
        using var shipper = await ServiceProcess.StartAsync("Clickstream.Shipper", output, new()
        {
            ["Shipper__Paths__0"] = Path.Combine(logs, "*.log"),
            ["Shipper__StateDirectory"] = Path.Combine(volume.Path, "shipper"),
            ["Shipper__DrainOnStop"] = "true",
            ["Shipper__MaxInFlightMessages"] = "20",
            ["Kafka__Topic"] = PipelineDefaults.Topic,
            ["ConnectionStrings__kafka"] = cluster.BootstrapServers,
        }, TimeSpan.FromMinutes(1));
        var (pixelPort, shipperPort) = (pixel.Port, shipper.Port);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var pixelUri = new Uri($"http://127.0.0.1:{pixelPort}/");

        // Load until both processes are gone; only hits answered 200 count.
        var answered = new ConcurrentBag<int>();
        var next = 0;
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var id = Interlocked.Increment(ref next);
                try
                {
                    using var response = await http.GetAsync(new Uri(pixelUri, $"i?hit={id}"), stop.Token);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        answered.Add(id);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // Refused once the pixel stops listening: not answered, not expected on the topic.
                }
            }
        })).ToList();

        var flowing = await TestEnvironment.EventuallyAsync(() => answered.Count >= 2000, TimeSpan.FromMinutes(1));
        Assert.True(flowing, $"only {answered.Count} hits answered in a minute");
        long backlog = 0;
        var behind = await TestEnvironment.EventuallyAsync(async () =>
        {
            backlog = await ServiceProcess.StatAsync(http, pixelPort, "linesWritten") - await ServiceProcess.StatAsync(http, shipperPort, "linesAcked");
            return backlog >= 1000;
        }, TimeSpan.FromMinutes(1));
        Assert.True(behind, $"the shipper is only {backlog} lines behind: SIGTERM would test no drain");
        var atSigterm = answered.Count;

        // Container Apps signals every container of the replica at once.
        ServiceProcess.Terminate(pixel, shipper);
        var exited = await TestEnvironment.EventuallyAsync(() => pixel.HasExited && shipper.HasExited, TimeSpan.FromMinutes(3));
        await stop.CancelAsync();
        await Task.WhenAll(clients);
        Assert.True(exited, $"still running after SIGTERM: pixel {pixel.HasExited}, shipper {shipper.HasExited}: {shipper.Output}");
        output.WriteLine($"answered {answered.Count} hits ({atSigterm} when SIGTERM was sent, the shipper {backlog} lines behind)");

        // The EmptyDir goes with the replica: whatever was not shipped is gone now.
        volume.Dispose();
        Assert.False(Directory.Exists(volume.Path));

        var messages = await Kcat.ReadAllAsync(cluster.BootstrapServers, PipelineDefaults.Topic, TimeSpan.FromSeconds(60));
        var shipped = messages.Select(m => ServiceProcess.HitId(m.Value)).ToHashSet();
        var missing = answered.Where(id => !shipped.Contains(id)).Order().ToList();
        output.WriteLine($"on the topic: {messages.Count} messages, {shipped.Count} distinct hits");
        Assert.True(missing.Count == 0,
            $"{missing.Count} of {answered.Count} answered hits are not on the topic (first: {string.Join(", ", missing.Take(10))}); shipper: {shipper.Output}");
        Assert.Contains("Every file shipped to its end", shipper.Output);
    }
}
