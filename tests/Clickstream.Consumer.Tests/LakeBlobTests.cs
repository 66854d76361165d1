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
        var names = Committed(container, "site=");
        Assert.All(names, n => Assert.Matches(@"^site=(shop|blog)/date=\d{4}-\d{2}-\d{2}/hour=\d{2}/events-\d{12}-\d{12}\.parquet$", n));
        foreach (var name in names)
        {
            var path = Path.Combine(download.Path, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await container.GetBlobClient(name).DownloadToAsync(path);
        }

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
