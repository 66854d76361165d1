using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Clickstream.Tests;
using Xunit.Abstractions;

namespace Clickstream.Consumer.Tests;

/// <summary>
/// The consumer as a real process (<c>dotnet Clickstream.Consumer.dll</c>), SIGKILLed five times while hits
/// stream in: each start continues from its last checkpoint, and the end totals are exact.
/// </summary>
public sealed class ConsumerKillTests(ITestOutputHelper output)
{
    private const int Kills = 5;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Sigkill_five_times_under_a_steady_stream_rereads_at_most_about_one_interval_each_time_and_ends_exact()
    {
        using var state = TestEnvironment.CreateTempDirectory("clickstream-consumer-kill");
        await using var topic = new TopicFixture();
        var produced = 0;
        using var stop = new CancellationTokenSource();
        var producer = Task.Run(async () =>
        {
            // ~1,500 hits/s until the last run: every kill lands while the topic grows.
            for (var i = 0; !stop.IsCancellationRequested; i += 150)
            {
                topic.ProduceHits(i, i + 150);
                topic.Flush();
                Volatile.Write(ref produced, i + 150);
                await Task.Delay(100);
            }
        });

        var rereads = new List<long>();
        long positionAtKill = -1;
        for (var run = 0; run <= Kills; run++)
        {
            await using var consumer = new ConsumerProcess(topic.BootstrapServers, state.Path, run, Interval);
            var status = await TestEnvironment.EventuallyAsync(async () => await consumer.CheckpointAsync() is not null, TimeSpan.FromSeconds(60))
                ? await consumer.CheckpointAsync()
                : null;
            Assert.True(status is not null, consumer.Output);
            if (run > 0)
            {
                // Read again: what the killed process had applied beyond the checkpoint this one starts from.
                var restored = status.Value.GetProperty("restoredPosition").GetInt64();
                rereads.Add(positionAtKill - restored);
                Assert.True(restored > 0, $"run {run} restored nothing\n{consumer.Output}");
            }

            if (run == Kills)
            {
                await stop.CancelAsync();
                await producer.WaitAsync(TimeSpan.FromSeconds(120));
                var hits = Volatile.Read(ref produced);
                Assert.True(await TestEnvironment.EventuallyAsync(async () => await consumer.TotalAsync() == hits, TimeSpan.FromSeconds(90)),
                    $"{await consumer.TotalAsync()} of {hits}\n{consumer.Output}");
                var stats = await consumer.StatsAsync("?site=example.com&range=today");
                Assert.Equal(0, stats.GetProperty("duplicatesDropped").GetInt64());
                Assert.Equal(0, stats.GetProperty("lostToOffsetResets").GetInt64());
                Assert.Equal(hits, stats.GetProperty("pageviews").GetInt64());
                Assert.Equal(hits, stats.GetProperty("range").GetProperty("figures").GetProperty("pageviews").GetInt64());
                // Stays exact: nothing more arrives and nothing is counted again.
                Assert.False(await TestEnvironment.EventuallyAsync(async () => await consumer.TotalAsync() != hits, TimeSpan.FromSeconds(3)));
                break;
            }

            // Let it apply for a while (its position passing the last one seen), then kill it mid-stream.
            var before = positionAtKill;
            Assert.True(await TestEnvironment.EventuallyAsync(async () => await consumer.PositionAsync() > before + 1_000, TimeSpan.FromSeconds(60)), consumer.Output);
            var until = Stopwatch.StartNew();
            var pause = TimeSpan.FromMilliseconds(Random.Shared.Next(700, 2_000));
            while (until.Elapsed < pause)
            {
                positionAtKill = Math.Max(positionAtKill, await consumer.PositionAsync());
                await Task.Delay(20);
            }

            positionAtKill = Math.Max(positionAtKill, await consumer.PositionAsync());
            consumer.Kill();
        }

        await stop.CancelAsync();
        // One interval at ~1,500 hits/s is ~750; a capture waits for the previous write, and a busy box is slow.
        output.WriteLine($"read again after each kill: {string.Join(", ", rereads)} (interval {Interval.TotalMilliseconds} ms, ~1,500 hits/s)");
        Assert.Equal(Kills, rereads.Count);
        Assert.All(rereads, r => Assert.InRange(r, 0, 3 * 1_500 * Interval.TotalSeconds + 1_500));
    }

    /// <summary>The consumer's build output run as a process, with its own port, group and checkpoint directory.</summary>
    private sealed class ConsumerProcess : IAsyncDisposable
    {
        private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
        private readonly ChildProcess _process;

        public ConsumerProcess(string bootstrap, string directory, int run, TimeSpan interval)
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "Clickstream.Consumer.dll");
            _process = new ChildProcess(dll, new Dictionary<string, string>
            {
                // Port 0: Kestrel binds a free port and keeps it, and says which (ChildProcess.ListeningPort).
                ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
                ["Logging__LogLevel__Default"] = "Warning",
                ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
                ["Logging__LogLevel__Clickstream.Consumer.Checkpoints"] = "Information",
                ["ConnectionStrings__kafka"] = bootstrap,
                // A group of its own each run: the killed member's session would otherwise hold the partitions
                // for session.timeout.ms. Positions come from the checkpoints, not from the group.
                ["Kafka__Consumer__Config__group.id"] = $"kill-test-{run}",
                ["Reconciliation__PixelUrl"] = "",
                ["Reconciliation__ShipperUrl"] = "",
                ["Checkpoints__Directory"] = directory,
                ["Checkpoints__Interval"] = interval.ToString(),
            });
        }

        public string Output => _process.Output;

        /// <summary>Port 0 until the consumer has said where it listens: requests fail, as before it is up.</summary>
        private string Url => $"http://127.0.0.1:{_process.ListeningPort}";

        public async Task<JsonElement?> CheckpointAsync()
        {
            try
            {
                return await Http.GetFromJsonAsync<JsonElement>($"{Url}/api/checkpoint");
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return null;
            }
        }

        public async Task<long> PositionAsync() => (await CheckpointAsync())?.GetProperty("position").GetInt64() ?? -1;

        public async Task<long> TotalAsync()
        {
            try
            {
                return (await StatsAsync("")).GetProperty("totalEvents").GetInt64();
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return -1;
            }
        }

        public Task<JsonElement> StatsAsync(string query) => Http.GetFromJsonAsync<JsonElement>($"{Url}/api/stats{query}");

        /// <summary>SIGKILL: no shutdown, no last checkpoint.</summary>
        public void Kill() => _process.Kill();

        public ValueTask DisposeAsync() => _process.DisposeAsync();
    }
}
