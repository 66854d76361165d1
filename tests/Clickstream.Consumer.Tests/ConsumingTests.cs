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

public sealed class ReceiveTests
{
    private static ConsumeResult<byte[]?, byte[]> Message(string? key, string value, string? eventId) => new()
    {
        Message = new Message<byte[]?, byte[]>
        {
            Key = key is null ? null : Encoding.UTF8.GetBytes(key),
            Value = Encoding.UTF8.GetBytes(value),
            Headers = eventId is null ? [] : [new Header(Clickstream.Contracts.KafkaHeaders.EventId, Encoding.ASCII.GetBytes(eventId))],
        },
    };

    [Fact]
    public void A_redelivery_is_dropped_by_its_event_id_before_its_value_is_read()
    {
        var seen = new DeduplicationWindow(10);
        var strings = new StringPool();
        var first = ConsumeLoop.Receive(Message("abc", """{"path":"/i"}""", "f:0:1"), seen, strings);
        Assert.Equal(Admission.New, first.Admission);
        Assert.Equal("/i", first.Click?.Path);

        // The copy's value is not even JSON: were it parsed, it would be malformed; it is a duplicate, unread.
        var copy = ConsumeLoop.Receive(Message("abc", "not json", "f:0:1"), seen, strings);
        Assert.Equal(Admission.Duplicate, copy.Admission);
        Assert.Null(copy.Click);
        Assert.Equal("f:0:1"u8.ToArray(), copy.EventId);

        var untracked = ConsumeLoop.Receive(Message(null, """{"path":"/j"}""", null), seen, strings);
        Assert.Equal(Admission.Untracked, untracked.Admission);
        Assert.Equal("/j", untracked.Click?.Path);
    }

    [Fact]
    public void The_visitor_is_the_message_key_and_without_a_key_the_lines_cookie_or_none()
    {
        var seen = new DeduplicationWindow(10);
        var strings = new StringPool();
        // The shipper's key is the cookie; the key wins (the line's cookie is not read).
        var keyed = ConsumeLoop.Receive(Message("3dfd6da7ee3f1d1f5f9700cc248f62bf", """{"cookie":"ignored"}""", "a"), seen, strings);
        Assert.Equal(UniqueCounter.Hash("3dfd6da7ee3f1d1f5f9700cc248f62bf"), keyed.Click?.VisitorHash);

        // No key (another producer): the line's cookie.
        var unkeyed = ConsumeLoop.Receive(Message(null, """{"cookie":"3dfd6da7ee3f1d1f5f9700cc248f62bf"}""", "b"), seen, strings);
        Assert.Equal(UniqueCounter.Hash("3dfd6da7ee3f1d1f5f9700cc248f62bf"), unkeyed.Click?.VisitorHash);

        // No key and no cookie (the shipper sends no key for "-"): no visitor hash, so the cookieless id is used.
        var cookieless = ConsumeLoop.Receive(Message(null, """{"cookie":"-"}""", "c"), seen, strings);
        Assert.NotNull(cookieless.Click);
        Assert.Null(cookieless.Click.VisitorHash);
        Assert.Null(cookieless.Click.Cookie);
    }

    [Fact]
    public void A_checkpoint_of_the_window_leaves_out_ids_admitted_but_not_yet_applied()
    {
        var window = new DeduplicationWindow(10);
        Assert.True(window.TryAdd("a"u8));
        Assert.True(window.TryAdd("b"u8));
        window.Applied(); // "a"; "b" is still in the hand-over buffer
        using var saved = new MemoryStream();
        using (var writer = new BinaryWriter(saved, Encoding.UTF8, leaveOpen: true))
        {
            window.Save(writer);
        }

        saved.Position = 0;
        var restored = new DeduplicationWindow(10);
        restored.Load(new BinaryReader(saved));
        Assert.Equal(1, restored.Count);
        Assert.False(restored.TryAdd("a"u8));
        Assert.True(restored.TryAdd("b"u8)); // read again after a restart, and applied then
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
    [Fact]
    public void An_escaped_time_is_unescaped_before_parsing()
    {
        var click = ClickEvent.Parse("""{"time":"2026-11-27T15:56:36.5\u002B01:00","path":"/i"}"""u8);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 15, 56, 36, 500, TimeSpan.FromHours(1)), click?.Time);
    }
}
