using System.Diagnostics;
using System.Text;
using Clickstream.Contracts;
using Confluent.Kafka;

namespace Clickstream.Shipper.Tests;

/// <summary>A plain consumer, independent of the shipper, that reads what reached the topic.</summary>
internal static class TopicReader
{
    public sealed record Record(string? Key, string Value, string EventId, string? TraceParent = null);

    /// <summary>Reads from the start until <paramref name="expected"/> messages arrived or <paramref name="timeout"/> passed, then a little longer to catch extras.</summary>
    public static List<Record> Read(string bootstrap, string topic, int expected, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = $"reader-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            SessionTimeoutMs = 6000,
        }).Build();
        consumer.Subscribe(topic);
        var records = new List<Record>();
        var clock = Stopwatch.StartNew();
        var quietSince = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && (records.Count < expected || quietSince.Elapsed < TimeSpan.FromMilliseconds(500)))
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } result)
            {
                quietSince.Restart();
                var id = result.Message.Headers.TryGetLastBytes(KafkaHeaders.EventId, out var bytes) ? Encoding.ASCII.GetString(bytes) : "";
                var traceParent = result.Message.Headers.TryGetLastBytes(KafkaHeaders.TraceParent, out var tp) ? Encoding.ASCII.GetString(tp) : null;
                records.Add(new Record(result.Message.Key is { } k ? Encoding.UTF8.GetString(k) : null,
                    Encoding.UTF8.GetString(result.Message.Value), id, traceParent));
            }
        }

        consumer.Close();
        return records;
    }
}
