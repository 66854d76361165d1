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
    private static IHost Start(string bootstrap, string checkpoints, string lake, TimeSpan closeAfter) =>
        CheckpointRestartTests.Start(bootstrap, checkpoints, new Dictionary<string, string?>
        {
            ["Lake:Directory"] = lake,
            ["Lake:CloseAfter"] = closeAfter.ToString(),
        });

    private static long Scalar(string sql)
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
        void Shop(int from, int to)
        {
            for (var i = from; i < to; i++)
            {
                var cookie = $"{i % 40:x32}";
                topic.Produce(TopicFixture.Line(i, cookie, hourAgo, path: $"/i?aid=shop&e=pv&url=https%3A%2F%2Fshop.example%2Fp{i % 5}"), cookie, $"f:0:{i}");
            }

            topic.Flush();
        }

        // First run: the hour is not due yet (CloseAfter 10 h), so its events wait as staging parts, in two checkpoints at least.
        var first = Start(topic.BootstrapServers, state.Path, lake.Path, TimeSpan.FromHours(10));
        var checkpointer = first.Services.GetRequiredService<Checkpoints.StateCheckpointer>();
        Shop(0, 150);
        Assert.True(await TestEnvironment.EventuallyAsync(() => checkpointer.Status() is { Written: >= 1, Position: 150 }, TimeSpan.FromSeconds(60)));
        Shop(150, 300);
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
}
