using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Clickstream.Contracts;
using Clickstream.KafkaEmulator.Mock;
using Clickstream.Shipper.DeadLetters;
using Clickstream.Tests;

namespace Clickstream.Shipper.Tests;

/// <summary>Bad lines in a real log, and the trace context a line carries.</summary>
public sealed class ShipperCorpusTests() : ShipperTestBed("clickstream-shipper-corpus", 8)
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);
    [Fact]
    public async Task A_corpus_of_bad_lines_gives_exact_dead_letter_and_repair_counts_and_every_good_line_around_them()
    {
        var log = Path.Combine(Logs, "access.log");
        var expected = new List<string>();
        var content = new MemoryStream();
        void Raw(byte[] bytes) => content.Write(bytes);
        void Text(string text) => Raw(Encoding.UTF8.GetBytes(text));
        var n = 0;
        void Good(string end = "\n")
        {
            var line = ShipperComponentTests.Line(n++);
            expected.Add(line);
            Text(line + end);
        }

        void Repairable(string field, byte[] bad)
        {
            // A sound line with raw invalid bytes inside a value, as nginx's escape=json lets through.
            var line = ShipperComponentTests.Line(n++).Replace($"\"{field}\":\"", $"\"{field}\":\"@@", StringComparison.Ordinal);
            var at = line.IndexOf("@@", StringComparison.Ordinal);
            var bytes = Encoding.UTF8.GetBytes(line[..at]).Concat(bad).Concat(Encoding.UTF8.GetBytes(line[(at + 2)..])).ToArray();
            expected.Add(Encoding.UTF8.GetString(bytes)); // each invalid sequence becomes U+FFFD
            Raw([.. bytes, (byte)'\n']);
        }

        for (var i = 0; i < 20; i++)
        {
            Good();
        }

        Text("{\"remote\":\"1.2.3.4\",\"cookie\":\"abc\"\n");           // dead letter 1: truncated
        Good();
        Repairable("referer", [0xff]);                                     // repaired 1
        Good("\r\n");                                                      // CRLF: delivered without \r
        Text("\n");                                                        // empty 1
        Text("{\"a\":\"1\",,\"b\":\"2\"}\n");                             // dead letter 2: broken
        Good();
        Text("{\"remote\":\"" + new string('x', 2 * 1024 * 1024) + "\"}\n"); // dead letter 3: 2 MiB line
        Good();
        Repairable("agent", [0xc3, 0x28]);                                 // repaired 2
        Text("   \n");                                                     // empty 2
        Raw([.. "{\"agent\":\"a"u8, 0, .. "b\"}\n"u8]);                   // dead letter 4: NUL inside a value
        Good("\r\n");
        Raw([0, 0, 0, 0, .. Encoding.UTF8.GetBytes(ShipperComponentTests.Line(9999) + "\n")]); // dead letter 5: NULs before a line
        Repairable("path", [0xed, 0xa0, 0x80]);                            // repaired 3: an encoded surrogate
        Text("\r\n");                                                      // empty 3
        for (var i = 0; i < 180; i++)
        {
            Good();
        }

        await File.WriteAllBytesAsync(log, content.ToArray());
        await using var shipper = new ShipperHost(Cluster.BootstrapServers, PipelineDefaults.Topic, Path.Combine(Logs, "*.log"), State);
        await shipper.StartAsync();

        var length = new FileInfo(log).Length;
        Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Tails.Checkpoints.SingleOrDefault()?.Offset == length, Bounded),
            $"stalled: checkpoint {shipper.Tails.Checkpoints.SingleOrDefault()?.Offset} of {length}");
        Assert.Equal(expected.Count, shipper.Metrics.AcknowledgedTotal);
        Assert.Equal(5, shipper.Metrics.DeadLetteredTotal);
        Assert.Equal(3, shipper.Metrics.RepairedTotal);
        Assert.Equal(3, shipper.Metrics.SkippedTotal);
        var deadLetters = File.ReadAllLines(Path.Combine(State, DeadLetterWriter.FileName))
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["invalid_json", "invalid_json", "too_long", "invalid_json", "invalid_json"],
            deadLetters.Select(d => d.GetProperty("reason").GetString()));
        Assert.Equal(2 * 1024 * 1024 + 14, deadLetters[2].GetProperty("length").GetInt64()); // {"remote":"…"} and its newline

        var records = TopicReader.Read(Cluster.BootstrapServers, PipelineDefaults.Topic, expected.Count, Bounded);
        Assert.Equal(expected.Order(), records.Select(r => r.Value).Order());
        Assert.DoesNotContain(records, r => r.Value.Contains('\r', StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_ship_span_continues_the_lines_trace_and_its_context_travels_as_the_traceparent_header()
    {
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        const string parentSpanId = "00f067aa0ba902b7";
        var traced = Pixel(1, $"00-{traceId}-{parentSpanId}-01");
        var untraced = ShipperComponentTests.Line(2);
        await File.WriteAllLinesAsync(Path.Combine(Logs, "access.log"), [traced, untraced]);

        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ShipperMetrics.MeterName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (spans)
                {
                    spans.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var shipper = new ShipperHost(Cluster.BootstrapServers, PipelineDefaults.Topic, Path.Combine(Logs, "*.log"), State);
        await shipper.StartAsync();
        Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal == 2, Bounded));

        var records = TopicReader.Read(Cluster.BootstrapServers, PipelineDefaults.Topic, 2, Bounded);
        Activity[] ship;
        lock (spans)
        {
            // The listener is process-wide: keep the spans of this test's files only.
            ship = spans.Where(s => s.OperationName == "ship" && s.GetTagItem("clickstream.file") is string f && f.StartsWith(Logs, StringComparison.Ordinal)).ToArray();
        }

        var tracedRecord = Assert.Single(records, r => r.Value == traced);
        var child = Assert.Single(ship, s => s.TraceId.ToHexString() == traceId);
        Assert.Equal(parentSpanId, child.ParentSpanId.ToHexString());
        Assert.Equal($"00-{traceId}-{child.SpanId.ToHexString()}-01", tracedRecord.TraceParent);

        // A line without the field still ships, as the root of a new trace.
        var untracedRecord = Assert.Single(records, r => r.Value == untraced);
        var root = Assert.Single(ship, s => s.TraceId.ToHexString() != traceId);
        Assert.Equal(default, root.ParentSpanId);
        Assert.Equal(root.Id, untracedRecord.TraceParent);
    }

    [Fact]
    public async Task Without_a_listener_the_lines_own_traceparent_is_the_header()
    {
        var traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var lines = new[] { Pixel(1, traceParent), Pixel(2, "00-zz-not-a-trace"), ShipperComponentTests.Line(3) };
        await File.WriteAllLinesAsync(Path.Combine(Logs, "access.log"), lines);
        await using var shipper = new ShipperHost(Cluster.BootstrapServers, PipelineDefaults.Topic, Path.Combine(Logs, "*.log"), State);
        await shipper.StartAsync();
        Assert.True(await TestEnvironment.EventuallyAsync(() => shipper.Metrics.AcknowledgedTotal == 3, Bounded));

        var records = TopicReader.Read(Cluster.BootstrapServers, PipelineDefaults.Topic, 3, Bounded);
        Assert.Equal(traceParent, Assert.Single(records, r => r.Value == lines[0]).TraceParent);
        Assert.Null(Assert.Single(records, r => r.Value == lines[1]).TraceParent); // malformed: not passed on
        Assert.Null(Assert.Single(records, r => r.Value == lines[2]).TraceParent);
    }

    /// <summary>The pixel's line with tracing: milliseconds in <c>time</c> and a 12th field <c>traceparent</c>.</summary>
    private static string Pixel(int i, string traceParent) =>
        ShipperComponentTests.Line(i).Replace("10:00:00+00:00", "10:00:00.123+00:00", StringComparison.Ordinal).TrimEnd('}')
        + $",\"traceparent\":\"{traceParent}\"}}";
}
