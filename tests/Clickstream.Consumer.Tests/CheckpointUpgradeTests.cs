using System.Text.Json;
using Clickstream.Consumer.Checkpoints;
using Clickstream.Consumer.Consuming;
using Clickstream.Consumer.Lake;
using Clickstream.Consumer.Stats;
using Clickstream.Consumer.Stats.History;
using Clickstream.Contracts;
using Clickstream.ServiceDefaults.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Clickstream.Consumer.Tests;

/// <summary>A checkpoint of the previous format (version 2: exact top tables, an all-sites history) after an upgrade.</summary>
public sealed class CheckpointUpgradeTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// What <c>Data/state-v2.ckpt</c> holds, written by the build before format 3 from these events: 600 page views over
    /// 3 days, 3 sites, 40 visitors, 7 pages, two campaigns, every one at its partition's offset.
    /// </summary>
    private static void Apply(LiveStats stats, FakeTimeProvider time, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            time.Advance(TimeSpan.FromMinutes(7.2));
            var at = time.GetUtcNow();
            var path = $"/i?e=pv&aid=site{i % 3}&url=https%3A%2F%2Fexample.com%2Fp{i % 7}{(i % 5 == 0 ? "%3Futm_campaign%3Dc" + (i % 2) : "")}&refr=https%3A%2F%2Fsearch.example%2F";
            var entry = new AccessLogEntry("203.0.113.9", null, at, "GET", path, 200, 43, null, "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", $"{i % 40:x32}", null);
            var line = new byte[entry.MaxLength];
            stats.Apply(ClickEvent.Parse(line.AsSpan(0, entry.Format(line)).TrimEnd((byte)'\n'))!);
        }
    }

    [Fact]
    public void A_version_2_checkpoint_loads_with_every_figure_equal_to_applying_its_events_now()
    {
        var directory = Directory.CreateTempSubdirectory("ckpt-v2-").FullName;
        try
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, "Data", "state-v2.ckpt"), Path.Combine(directory, CheckpointFormat.NameOf(1)));
            var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
            var restoredTime = new FakeTimeProvider(Start.AddMinutes(600 * 7.2));
            var restored = new LiveStats(restoredTime, meters);
            var checkpointer = new StateCheckpointer(Options.Create(new CheckpointOptions { Directory = directory }), new KafkaConsumerSettings(), restored,
                new DeduplicationWindow(1000), new CheckpointMetrics(meters), new EventLake(Options.Create(new LakeOptions()), restoredTime, NullLogger<EventLake>.Instance),
                NullLogger<StateCheckpointer>.Instance);
            Assert.True(checkpointer.Restore());
            Assert.Equal(0, checkpointer.Status().Corrupt);
            Assert.Equal(150, checkpointer.Restored![3]); // the next offset of partition 3

            var time = new FakeTimeProvider(Start);
            var applied = new LiveStats(time);
            Apply(applied, time, 0, 600);
            AssertSame(applied, restored, restoredTime.GetUtcNow());

            // Sessions and sketches came along: the next day counts the same in both.
            Apply(applied, time, 600, 800);
            Apply(restored, restoredTime, 600, 800);
            AssertSame(applied, restored, restoredTime.GetUtcNow());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void AssertSame(LiveStats expected, LiveStats actual, DateTimeOffset now)
    {
        Assert.Equal(expected.TotalEvents, actual.TotalEvents);
        foreach (var site in (string?[])["site0", "site1", "site2", null])
        {
            Assert.Equal(JsonSerializer.Serialize(expected.Sites.Snapshot(site)), JsonSerializer.Serialize(actual.Sites.Snapshot(site)));
            foreach (var name in DateRange.Names)
            {
                var range = DateRange.Resolve(name, null, null, TimeZoneInfo.Utc, now, out _)!;
                var (want, got) = (expected.Sites.Range(site, range)!, actual.Sites.Range(site, range)!);
                Assert.Equal(JsonSerializer.Serialize(want), JsonSerializer.Serialize(got));
                Assert.True(got.Figures.Pageviews > 0 || name is "realtime" or "today", $"{site} {name}");
            }
        }
    }
}
