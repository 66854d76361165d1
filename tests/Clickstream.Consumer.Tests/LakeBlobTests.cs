using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Clickstream.Consumer.Lake;
using Clickstream.Consumer.Stats;
using Clickstream.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Clickstream.Consumer.Tests;

/// <summary>The lake in Blob Storage (Azurite): published whole or not at all, every event once, read back with DuckDB.</summary>
public sealed class LakeBlobTests
{
    private static Dictionary<string, string?> Settings(Azurite azurite) => new()
    {
        ["Checkpoints:BlobConnectionString"] = azurite.ConnectionString,
        ["Checkpoints:BlobContainer"] = "checkpoints",
        ["Lake:BlobConnectionString"] = azurite.ConnectionString,
        ["Lake:BlobContainer"] = "lake",
        ["Lake:CloseAfter"] = TimeSpan.Zero.ToString(),
    };

    [Fact]
    public async Task An_upload_killed_between_staging_and_publish_leaves_nothing_visible_and_the_restarted_consumer_completes_the_hour_once()
    {
        await using var azurite = await Azurite.StartAsync();
        await using var topic = new TopicFixture();
        var hourAgo = DateTimeOffset.UtcNow.AddHours(-2);
        LakeTests.Produce(topic, "shop", 0, 300, hourAgo);
        LakeTests.Produce(topic, "blog", 300, 500, hourAgo);
        var container = new BlobContainerClient(azurite.ConnectionString, "lake");

        // First run: each published file's blocks are staged, its journal entry written, and then the process
        // "dies" before the block list is committed, every time.
        var dying = new DiesBeforePublishing(new BlobLakeStore(container));
        var first = CheckpointRestartTests.Start(topic.BootstrapServers, null, Settings(azurite), services => services.AddSingleton<ILakeStore>(dying));
        Assert.True(await TestEnvironment.EventuallyAsync(() => first.Services.GetRequiredService<LiveStats>().TotalEvents == 500, TimeSpan.FromSeconds(60)));
        Assert.True(await TestEnvironment.EventuallyAsync(() => dying.Killed.Count >= 2, TimeSpan.FromSeconds(60)), $"{dying.Killed.Count} uploads killed");
        await first.StopAsync();
        first.Dispose();

        Assert.Empty(Committed(container, "site="));
        var uncommitted = container.GetBlobs(BlobTraits.None, BlobStates.Uncommitted, "site=", CancellationToken.None).Select(b => b.Name).ToList();
        Assert.Contains(dying.Killed.First(), uncommitted);
        Assert.Contains(uncommitted, name => name.StartsWith("site=shop/", StringComparison.Ordinal));
        Assert.NotEmpty(Committed(container, EventLake.StagingDirectory + "/site="));

        // Restarted on the checkpoints with a store that lives: the hour is published, each event once.
        var second = CheckpointRestartTests.Start(topic.BootstrapServers, null, Settings(azurite));
        Assert.True(await TestEnvironment.EventuallyAsync(() => second.Services.GetRequiredService<LiveStats>().TotalEvents == 500, TimeSpan.FromSeconds(60)));
        Assert.Equal(0, second.Services.GetRequiredService<LiveStats>().Snapshot().DuplicatesDropped);
        Assert.True(await TestEnvironment.EventuallyAsync(
            () => !Committed(container, EventLake.StagingDirectory + "/site=").Any() && second.Services.GetRequiredService<EventLake>().Published == 500,
            TimeSpan.FromSeconds(60)), string.Join("\n", Committed(container, "")));
        await second.StopAsync();
        second.Dispose();

        // Listed in the container, downloaded, read by DuckDB.
        using var download = TestEnvironment.CreateTempDirectory("clickstream-lake-download");
        Assert.All(Committed(container, "site="), n => Assert.Matches(@"^site=(shop|blog)/date=\d{4}-\d{2}-\d{2}/hour=\d{2}/events-\d{12}-\d{12}\.parquet$", n));
        await DownloadAsync(container, download.Path);

        var files = LakeTests.Published(download.Path);
        Assert.Equal(500, LakeTests.Scalar($"SELECT count(*) FROM {files}"));
        Assert.Equal(500, LakeTests.Scalar($"SELECT count(DISTINCT event_id) FROM {files}"));
        Assert.Equal(300, LakeTests.Scalar($"SELECT count(*) FROM {files} WHERE site = 'shop' AND event_type = 'PageView'"));
        Assert.Equal(200, LakeTests.Scalar($"SELECT count(*) FROM {files} WHERE site = 'blog'"));
        Assert.Equal(hourAgo.Hour, LakeTests.Scalar($"SELECT min(hour) FROM {files}"));
    }

    [Fact]
    public async Task A_file_whose_writer_dies_midway_through_its_blocks_is_not_visible_and_an_old_one_of_that_name_stays_whole()
    {
        await using var azurite = await Azurite.StartAsync();
        var container = new BlobContainerClient(azurite.ConnectionString, "lake");
        var store = new BlobLakeStore(container, blockBytes: 64 << 10);
        var whole = Enumerable.Range(0, 1 << 20).Select(i => (byte)i).ToArray();
        store.Write("site=a/date=2026-12-07/hour=00/events-1-1.parquet", s => s.Write(whole));

        // Five blocks staged, then the writer dies: neither the replaced name nor a new one shows anything of it.
        void Dies(Stream s)
        {
            s.Write(new byte[5 * (64 << 10)]);
            throw new IOException("killed");
        }

        Assert.Throws<IOException>(() => store.Write("site=a/date=2026-12-07/hour=00/events-1-1.parquet", Dies));
        Assert.Throws<IOException>(() => store.Write("site=a/date=2026-12-07/hour=00/events-2-2.parquet", Dies));
        Assert.Equal(whole, store.Read("site=a/date=2026-12-07/hour=00/events-1-1.parquet"));
        Assert.Equal(["site=a/date=2026-12-07/hour=00/events-1-1.parquet"], store.List("site="));
        Assert.False(store.Exists("site=a/date=2026-12-07/hour=00/events-2-2.parquet"));
        Assert.Null(store.Read("site=a/date=2026-12-07/hour=00/events-2-2.parquet"));
        var staged = await container.GetBlockBlobClient("site=a/date=2026-12-07/hour=00/events-2-2.parquet").GetBlockListAsync(BlockListTypes.Uncommitted);
        Assert.Equal(5, staged.Value.UncommittedBlocks.Count());
    }

    [Fact]
    public async Task Sigkilled_twice_while_it_publishes_to_Blob_Storage_the_consumer_ends_with_every_event_in_the_lake_once()
    {
        await using var azurite = await Azurite.StartAsync();
        await using var topic = new TopicFixture();
        var container = new BlobContainerClient(azurite.ConnectionString, "lake");
        await container.CreateIfNotExistsAsync();
        var produced = 0;
        using var stop = new CancellationTokenSource();
        var producer = Task.Run(async () =>
        {
            // Events of three past hours, two sites, keep arriving: with CloseAfter 0 hours are published all the time.
            for (var i = 0; !stop.IsCancellationRequested; i += 100)
            {
                LakeTests.Produce(topic, i % 200 == 0 ? "shop" : "blog", i, i + 100, DateTimeOffset.UtcNow.AddHours(-2 - (i / 100 % 3)));
                Volatile.Write(ref produced, i + 100);
                await Task.Delay(100);
            }
        });

        var dll = Path.Combine(AppContext.BaseDirectory, "Clickstream.Consumer.dll");
        for (var run = 0; run <= 2; run++)
        {
            var url = $"http://127.0.0.1:{TestEnvironment.FreeTcpPort()}";
            await using var consumer = new ChildProcess(dll, new Dictionary<string, string>
            {
                ["ASPNETCORE_URLS"] = url,
                ["Logging__LogLevel__Default"] = "Warning",
                ["ConnectionStrings__kafka"] = topic.BootstrapServers,
                ["Kafka__Consumer__Config__group.id"] = $"lake-kill-{run}",
                ["Reconciliation__PixelUrl"] = "",
                ["Reconciliation__ShipperUrl"] = "",
                ["Checkpoints__BlobConnectionString"] = azurite.ConnectionString,
                ["Checkpoints__BlobContainer"] = "checkpoints",
                ["Checkpoints__Interval"] = "00:00:00.300",
                ["Lake__BlobConnectionString"] = azurite.ConnectionString,
                ["Lake__BlobContainer"] = "lake",
                ["Lake__CloseAfter"] = "00:00:00",
            });
            if (run < 2)
            {
                // Killed once more files were published, at a moment of its own (mid-upload or not).
                var before = Committed(container, "site=").Count;
                Assert.True(await TestEnvironment.EventuallyAsync(() => Committed(container, "site=").Count >= before + 3, TimeSpan.FromSeconds(90)), consumer.Output);
                await Task.Delay(Random.Shared.Next(0, 700));
                consumer.Kill();
                continue;
            }

            await stop.CancelAsync();
            await producer.WaitAsync(TimeSpan.FromSeconds(60));
            var hits = Volatile.Read(ref produced);
            Assert.True(await TestEnvironment.EventuallyAsync(async () => await TotalAsync(url) == hits, TimeSpan.FromSeconds(90)), $"{await TotalAsync(url)} of {hits}\n{consumer.Output}");
            Assert.True(await TestEnvironment.EventuallyAsync(
                () => Committed(container, EventLake.StagingDirectory + "/site=").Count == 0 && RowsIn(container) == hits,
                TimeSpan.FromSeconds(90)), $"{RowsIn(container)} rows of {hits}\n{consumer.Output}");
        }

        using var download = TestEnvironment.CreateTempDirectory("clickstream-lake-download");
        await DownloadAsync(container, download.Path);
        var files = LakeTests.Published(download.Path);
        var total = Volatile.Read(ref produced);
        Assert.Equal(total, LakeTests.Scalar($"SELECT count(*) FROM {files}"));
        Assert.Equal(total, LakeTests.Scalar($"SELECT count(DISTINCT event_id) FROM {files}"));
    }

    private static async Task<long> TotalAsync(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            return (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.JsonElement>(http, $"{url}/api/stats")).GetProperty("totalEvents").GetInt64();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return -1;
        }
    }

    /// <summary>Rows in the published files, each downloaded and read.</summary>
    private static long RowsIn(BlobContainerClient container)
    {
        using var download = TestEnvironment.CreateTempDirectory("clickstream-lake-rows");
        DownloadAsync(container, download.Path).GetAwaiter().GetResult();
        return Directory.GetFiles(download.Path, "*.parquet", SearchOption.AllDirectories).Sum(f => (long)EventLake.Read(f).Count);
    }

    private static async Task DownloadAsync(BlobContainerClient container, string directory)
    {
        foreach (var name in Committed(container, "site="))
        {
            var path = Path.Combine(directory, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await container.GetBlobClient(name).DownloadToAsync(path);
        }
    }

    private static List<string> Committed(BlobContainerClient container, string prefix) =>
        [.. container.GetBlobs(BlobTraits.None, BlobStates.None, prefix, CancellationToken.None).Select(b => b.Name)];

    /// <summary>A store whose process dies after a published file is staged and before it is committed.</summary>
    private sealed class DiesBeforePublishing(ILakeStore inner) : ILakeStore
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Killed { get; } = new();

        public string Location => inner.Location;

        public IReadOnlyList<string> List(string prefix) => inner.List(prefix);

        public byte[]? Read(string name) => inner.Read(name);

        public bool Exists(string name) => inner.Exists(name);

        public void Write(string name, Action<Stream> write, Action? beforePublish = null) =>
            inner.Write(name, write, name.StartsWith(EventLake.StagingDirectory + "/", StringComparison.Ordinal) ? beforePublish : () =>
            {
                beforePublish?.Invoke();
                Killed.Enqueue(name);
                throw new IOException("killed between staging and publishing");
            });

        public void Delete(string name) => inner.Delete(name);
    }
}
