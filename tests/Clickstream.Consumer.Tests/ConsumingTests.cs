using System.Text;
using Clickstream.Consumer.Consuming;
using Clickstream.Consumer.Stats;
using Confluent.Kafka;

namespace Clickstream.Consumer.Tests;

public sealed class ConsumingTests
{
    [Fact]
    public void The_deduplication_window_drops_repeats_and_forgets_the_oldest_beyond_its_capacity()
    {
        var window = new DeduplicationWindow(3);
        Assert.True(window.TryAdd("a"));
        Assert.False(window.TryAdd("a"));
        Assert.True(window.TryAdd("b"));
        Assert.True(window.TryAdd("c"));
        Assert.True(window.TryAdd("d")); // evicts "a"
        Assert.Equal(3, window.Count);
        Assert.True(window.TryAdd("a"));
        Assert.False(window.TryAdd("d"));
    }

    [Fact]
    public void Offset_gaps_count_as_lost_and_the_committed_offset_is_the_baseline_after_assignment()
    {
        var detector = new OffsetGapDetector();
        var p0 = new TopicPartition("t", 0);
        Assert.Equal(0, detector.Observe(new TopicPartitionOffset(p0, 10))); // no baseline yet
        Assert.Equal(0, detector.Observe(new TopicPartitionOffset(p0, 11)));
        Assert.Equal(4, detector.Observe(new TopicPartitionOffset(p0, 16)));

        var p1 = new TopicPartition("t", 1);
        detector.Assigned([new TopicPartitionOffset(p1, 100)]);
        Assert.Equal(50, detector.Observe(new TopicPartitionOffset(p1, 150)));
    }

    [Fact]
    public void An_access_log_line_parses_and_anything_else_does_not()
    {
        var click = ClickEvent.Parse(Encoding.UTF8.GetBytes(
            """{"remote":"1.2.3.4","host":"-","user":"-","time":"2020-11-16T08:31:47+00:00","method":"GET","path":"/i?param=testing","code":"200","size":"43","referer":"-","agent":"curl/7.58.0","cookie":"3dfd6da7ee3f1d1f5f9700cc248f62bf"}"""));
        Assert.NotNull(click);
        Assert.Equal("/i?param=testing", click.Path);
        Assert.Equal("3dfd6da7ee3f1d1f5f9700cc248f62bf", click.Cookie);
        Assert.Equal(new DateTimeOffset(2020, 11, 16, 8, 31, 47, TimeSpan.Zero), click.Time);

        // With a string pool the cookie is hashed from the bytes, the same hash as from its string.
        var pooled = ClickEvent.Parse(Encoding.UTF8.GetBytes(
            """{"path":"/i?param=testing","agent":"curl/7.58.0","cookie":"3dfd6da7ee3f1d1f5f9700cc248f62bf"}"""), new StringPool());
        Assert.Equal(UniqueCounter.Hash("3dfd6da7ee3f1d1f5f9700cc248f62bf"), pooled?.VisitorHash);
        Assert.Equal("/i?param=testing", pooled?.Path);
        Assert.Null(ClickEvent.Parse("""{"cookie":"-"}"""u8, new StringPool())?.VisitorHash);

        Assert.Null(ClickEvent.Parse("not json"u8));
        Assert.Null(ClickEvent.Parse("[1,2]"u8));
        Assert.Null(ClickEvent.Parse("{\"path\":"u8));
    }
}

public sealed class ReplayPositionTests
{
    [Fact]
    public void Positions_are_known_only_for_partitions_read_and_replayed_offsets_are_those_below_the_commit()
    {
        var detector = new OffsetGapDetector();
        var p0 = new TopicPartition("t", 0);
        var p1 = new TopicPartition("t", 1);
        Assert.Null(detector.Position(p0));
        detector.Observe(new TopicPartitionOffset(p0, 0));
        detector.Observe(new TopicPartitionOffset(p0, 1));
        Assert.Equal(2, detector.Position(p0));

        detector.Replaying([new TopicPartitionOffset(p1, 5), new TopicPartitionOffset(p0, Offset.Unset)]);
        detector.Replaying([new TopicPartitionOffset(p1, 9)]); // the first commit seen wins
        Assert.True(detector.IsReplay(new TopicPartitionOffset(p1, 4)));
        Assert.False(detector.IsReplay(new TopicPartitionOffset(p1, 5)));
        Assert.False(detector.IsReplay(new TopicPartitionOffset(p0, 0)));
    }

    [Fact]
    public void The_deduplication_window_works_on_the_header_bytes()
    {
        var window = new DeduplicationWindow(2);
        Assert.True(window.TryAdd("8:1:0:100"u8));
        Assert.False(window.TryAdd(Encoding.ASCII.GetBytes("8:1:0:100")));
        Assert.False(window.TryAdd("8:1:0:100"));
        Assert.True(window.TryAdd("8:1:0:101"u8));
        Assert.True(window.TryAdd("8:1:0:102"u8));
        Assert.True(window.TryAdd("8:1:0:100"u8)); // forgotten beyond the capacity
    }
}

public sealed class TimeParsingTests
{
    [Theory]
    [InlineData("2026-11-27T15:56:36+00:00", "2026-11-27T15:56:36.0000000+00:00")]
    [InlineData("2026-11-27T15:56:36.123+00:00", "2026-11-27T15:56:36.1230000+00:00")]
    [InlineData("2026-11-27T15:56:36.1234567-05:30", "2026-11-27T15:56:36.1234567-05:30")]
    [InlineData("2020-11-16T08:31:47+01:00", "2020-11-16T08:31:47.0000000+01:00")]
    [InlineData("16/Nov/2020:08:31:47 +0000", null)]          // nginx's $time_local: not ISO, not guessed
    [InlineData("2026-11-27 15:56:36Z", "2026-11-27T15:56:36.0000000+00:00")] // the general parser's fallback
    [InlineData("2026-02-30T15:56:36+00:00", null)]
    [InlineData("2026-11-27T15:56:36+14:30", null)]
    [InlineData("-", null)]
    public void Hit_times_parse_with_and_without_milliseconds(string text, string? expected)
    {
        var parsed = ClickEvent.ParseTime(Encoding.UTF8.GetBytes(text));
        Assert.Equal(expected, parsed?.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void An_escaped_time_is_unescaped_before_parsing()
    {
        var click = ClickEvent.Parse("""{"time":"2026-11-27T15:56:36.5\u002B01:00","path":"/i"}"""u8);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 15, 56, 36, 500, TimeSpan.FromHours(1)), click?.Time);
    }
}
