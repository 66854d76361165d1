using Clickstream.Consumer.Lake;
using Clickstream.Consumer.Stats;
using Clickstream.Tests;
using DuckDB.NET.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Clickstream.Consumer.Tests;

/// <summary>The hourly Parquet lake: every applied event once, read back with DuckDB.</summary>
public sealed class LakeTests
{
    internal static IHost Start(string bootstrap, string checkpoints, string lake, TimeSpan closeAfter) =>
        CheckpointRestartTests.Start(bootstrap, checkpoints, new Dictionary<string, string?>
        {
            ["Lake:Directory"] = lake,
            ["Lake:CloseAfter"] = closeAfter.ToString(),
        });

    /// <summary>Page views of <paramref name="site"/> at <paramref name="at"/>, event ids <c>f:0:i</c>, 40 visitors.</summary>
    internal static void Produce(TopicFixture topic, string site, int from, int to, DateTimeOffset at)
    {
        for (var i = from; i < to; i++)
        {
            var cookie = $"{i % 40:x32}";
            topic.Produce(TopicFixture.Line(i, cookie, at, path: $"/i?aid={site}&e=pv&url=https%3A%2F%2F{site}.example%2Fp{i % 5}"), cookie, $"f:0:{i}");
        }

        topic.Flush();
    }

    /// <summary>The published files under <paramref name="root"/> as DuckDB reads them (hive partitions).</summary>
    internal static string Published(string root) => $"read_parquet('{Path.Combine(root, "site=*", "date=*", "hour=*", "*.parquet")}', hive_partitioning = true)";

    internal static long Scalar(string sql)
    {
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Closed_hours_are_published_once_each_event_once_across_a_fallback_to_an_older_checkpoint_and_DuckDB_counts_them()
    {
        using var state = TestEnvironment.CreateTempDirectory("clickstream-lake-state");
        using var lake = TestEnvironment.CreateTempDirectory("clickstream-lake");
        await using var topic = new TopicFixture();
        var hourAgo = DateTimeOffset.UtcNow.AddHours(-2);
        // First run: the hour is not due yet (CloseAfter 10 h), so its events wait as staging parts, in two checkpoints at least.
        var first = Start(topic.BootstrapServers, state.Path, lake.Path, TimeSpan.FromHours(10));
        var checkpointer = first.Services.GetRequiredService<Checkpoints.StateCheckpointer>();
        Produce(topic, "shop", 0, 150, hourAgo);
        Assert.True(await TestEnvironment.EventuallyAsync(() => checkpointer.Status() is { Written: >= 1, Position: 150 }, TimeSpan.FromSeconds(60)));
        Produce(topic, "shop", 150, 300, hourAgo);
        Assert.True(await TestEnvironment.EventuallyAsync(() => first.Services.GetRequiredService<LiveStats>().TotalEvents == 300, TimeSpan.FromSeconds(60)));
        Assert.True(await TestEnvironment.EventuallyAsync(() => checkpointer.Status().Written >= 3, TimeSpan.FromSeconds(60)));
        await first.StopAsync();
        first.Dispose();
        var parts = Directory.GetFiles(Path.Combine(lake.Path, EventLake.StagingDirectory), "part-*.parquet", SearchOption.AllDirectories);
        Assert.NotEmpty(parts);
        Assert.Equal(300, parts.Sum(p => EventLake.Read(p).Count));

        // A crash lost the newer checkpoints: the oldest kept is restored, the newer parts are dropped and
        // their events read again, so they land in the lake once.
        var checkpoints = Directory.GetFiles(state.Path, "state-*.ckpt").Order(StringComparer.Ordinal).ToList();
        Assert.True(checkpoints.Count >= 2);
        foreach (var newer in checkpoints.Skip(1))
        {
            File.Delete(newer);
        }

        for (var i = 300; i < 500; i++)
        {
            var cookie = $"{i % 40:x32}";
            topic.Produce(TopicFixture.Line(i, cookie, hourAgo, path: $"/i?aid=blog&e=pv&url=https%3A%2F%2Fblog.example%2F"), cookie, $"f:0:{i}");
        }

        topic.Flush();
        var second = Start(topic.BootstrapServers, state.Path, lake.Path, TimeSpan.Zero);
        Assert.True(await TestEnvironment.EventuallyAsync(() => second.Services.GetRequiredService<LiveStats>().TotalEvents == 500, TimeSpan.FromSeconds(60)));
        var published = Path.Combine(lake.Path, "site=*", "date=*", "hour=*", "*.parquet");
        Assert.True(await TestEnvironment.EventuallyAsync(
            () => Directory.GetFiles(lake.Path, "part-*", SearchOption.AllDirectories).Length == 0
                && Directory.GetFiles(lake.Path, "events-*.parquet", SearchOption.AllDirectories).Sum(f => EventLake.Read(f).Count) == 500,
            TimeSpan.FromSeconds(60)), string.Join("\n", Directory.GetFiles(lake.Path, "*", SearchOption.AllDirectories)));
        await second.StopAsync();
        second.Dispose();

        Assert.Equal(500, Scalar($"SELECT count(*) FROM read_parquet('{published}', hive_partitioning = true)"));
        Assert.Equal(500, Scalar($"SELECT count(DISTINCT event_id) FROM read_parquet('{published}', hive_partitioning = true)"));
        Assert.Equal(300, Scalar($"SELECT count(*) FROM read_parquet('{published}', hive_partitioning = true) WHERE site = 'shop' AND event_type = 'PageView'"));
        Assert.Equal(200, Scalar($"SELECT count(*) FROM read_parquet('{published}', hive_partitioning = true) WHERE site = 'blog' AND page_path = '/'"));
        Assert.Equal(hourAgo.Hour, Scalar($"SELECT min(hour) FROM read_parquet('{published}', hive_partitioning = true)"));
        Assert.Equal(40, Scalar($"SELECT count(DISTINCT visitor) FROM read_parquet('{published}', hive_partitioning = true)"));
    }

    [Fact]
    public async Task A_fallback_to_a_checkpoint_older_than_a_published_file_writes_none_of_its_events_again()
    {
        using var state = TestEnvironment.CreateTempDirectory("clickstream-lake-state");
        using var lake = TestEnvironment.CreateTempDirectory("clickstream-lake");
        await using var topic = new TopicFixture();
        var hourAgo = DateTimeOffset.UtcNow.AddHours(-2);

        // First run: the hour is due at once, so it is published while events arrive, in two rounds.
        var first = Start(topic.BootstrapServers, state.Path, lake.Path, TimeSpan.Zero);
        var firstLake = first.Services.GetRequiredService<EventLake>();
        Produce(topic, "shop", 0, 200, hourAgo);
        Assert.True(await TestEnvironment.EventuallyAsync(() => firstLake.Published == 200, TimeSpan.FromSeconds(60)), $"{firstLake.Published} published");
        Produce(topic, "shop", 200, 300, hourAgo);
        Assert.True(await TestEnvironment.EventuallyAsync(() => firstLake.Published == 300, TimeSpan.FromSeconds(60)), $"{firstLake.Published} published");
        await first.StopAsync();
        first.Dispose();

        // Every checkpoint at or after the newest published file's last one is corrupt: the consumer falls back
        // to one before it, and reads again events that file holds.
        var newestPublished = Directory.GetFiles(lake.Path, "events-*.parquet", SearchOption.AllDirectories)
            .Max(f => long.Parse(Path.GetFileNameWithoutExtension(f).Split('-')[2], System.Globalization.CultureInfo.InvariantCulture));
        var checkpoints = Directory.GetFiles(state.Path, "state-*.ckpt").Select(f => (Path: f, Sequence: Checkpoints.CheckpointFormat.SequenceOf(Path.GetFileName(f))!.Value)).ToList();
        foreach (var (path, _) in checkpoints.Where(c => c.Sequence >= newestPublished))
        {
            File.WriteAllBytes(path, "not a checkpoint"u8.ToArray());
        }

        var restored = checkpoints.Where(c => c.Sequence < newestPublished).Select(c => c.Sequence).DefaultIfEmpty(0).Max();
        Assert.True(restored > 0, $"no checkpoint before {newestPublished}: {string.Join(", ", checkpoints.Select(c => c.Sequence))}");

        Produce(topic, "blog", 300, 350, hourAgo);
        var second = Start(topic.BootstrapServers, state.Path, lake.Path, TimeSpan.Zero);
        var secondLake = second.Services.GetRequiredService<EventLake>();
        Assert.True(await TestEnvironment.EventuallyAsync(() => second.Services.GetRequiredService<LiveStats>().TotalEvents == 350, TimeSpan.FromSeconds(60)));
        Assert.Equal(restored, second.Services.GetRequiredService<Checkpoints.StateCheckpointer>().Status().RestoredSequence);
        Assert.True(await TestEnvironment.EventuallyAsync(
            () => Directory.GetFiles(lake.Path, "part-*", SearchOption.AllDirectories).Length == 0
                && Scalar($"SELECT count(*) FROM {Published(lake.Path)} WHERE site = 'blog'") == 50,
            TimeSpan.FromSeconds(60)), string.Join("\n", Directory.GetFiles(lake.Path, "*", SearchOption.AllDirectories)));
        await second.StopAsync();
        second.Dispose();

        // The events read again were in the lake already; each is there once.
        Assert.Equal(350, Scalar($"SELECT count(DISTINCT event_id) FROM {Published(lake.Path)}"));
        Assert.Equal(300, Scalar($"SELECT count(*) FROM {Published(lake.Path)} WHERE site = 'shop'"));
        Assert.Equal(350, Scalar($"SELECT count(*) FROM {Published(lake.Path)}"));
        Assert.True(secondLake.SkippedAsPublished > 0);
    }
}
