using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Clickstream.ServiceDefaults.Kafka;

/// <summary>
/// Turns librdkafka's statistics JSON into OpenTelemetry instruments. librdkafka calls the handler on its
/// poll thread, so the JSON is handed over through a bounded channel and parsed here.
/// </summary>
internal sealed partial class KafkaStatisticsMetrics : BackgroundService
{
    public const string MeterName = "Clickstream.Kafka";

    private readonly Channel<string> _statistics = Channel.CreateBounded<string>(
        new BoundedChannelOptions(4) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private readonly ILogger<KafkaStatisticsMetrics> _logger;
    // One snapshot per client: a service may hold a producer and a consumer.
    private readonly ConcurrentDictionary<string, Snapshot> _latest = new(StringComparer.Ordinal);

    public KafkaStatisticsMetrics(IMeterFactory meterFactory, ILogger<KafkaStatisticsMetrics> logger)
    {
        _logger = logger;
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("messaging.kafka.client.queue.messages", () => Measure(s => s.QueueMessages), "{message}",
            "Messages waiting in the client's queues (librdkafka msg_cnt).");
        meter.CreateObservableGauge("messaging.kafka.client.queue.size", () => Measure(s => s.QueueBytes), "By",
            "Bytes waiting in the client's queues (librdkafka msg_size).");
        meter.CreateObservableCounter("messaging.kafka.client.sent.messages", () => Measure(s => s.SentMessages), "{message}");
        meter.CreateObservableCounter("messaging.kafka.client.sent.bytes", () => Measure(s => s.SentBytes), "By");
        meter.CreateObservableCounter("messaging.kafka.client.received.messages", () => Measure(s => s.ReceivedMessages), "{message}");
        meter.CreateObservableCounter("messaging.kafka.client.received.bytes", () => Measure(s => s.ReceivedBytes), "By");
        meter.CreateObservableGauge("messaging.kafka.consumer.lag", () => Measure(s => s.ConsumerLag), "{message}",
            "Sum over assigned partitions of the consumer lag reported by librdkafka.");
    }

    /// <summary>Called by librdkafka's poll thread: never blocks.</summary>
    public void Publish(string json) => _statistics.Writer.TryWrite(json);

    internal IReadOnlyDictionary<string, Snapshot> Latest => _latest;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var json in _statistics.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    var snapshot = Parse(json);
                    _latest[snapshot.ClientId] = snapshot;
                }
                catch (JsonException ex)
                {
                    LogBadStatistics(ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private IEnumerable<Measurement<long>> Measure(Func<Snapshot, long> value) =>
        _latest.Values.Select(s => new Measurement<long>(value(s),
            new KeyValuePair<string, object?>("messaging.client.id", s.ClientId),
            new KeyValuePair<string, object?>("messaging.kafka.client.type", s.Type)));

    internal static Snapshot Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        long lag = 0;
        if (root.TryGetProperty("topics", out var topics))
        {
            foreach (var topic in topics.EnumerateObject())
            {
                if (!topic.Value.TryGetProperty("partitions", out var partitions))
                {
                    continue;
                }

                foreach (var partition in partitions.EnumerateObject())
                {
                    // -1 means unknown; partition -1 is librdkafka's internal UA partition.
                    if (partition.Name != "-1" && partition.Value.TryGetProperty("consumer_lag", out var l) && l.GetInt64() > 0)
                    {
                        lag += l.GetInt64();
                    }
                }
            }
        }

        return new Snapshot(
            root.GetProperty("client_id").GetString() ?? string.Empty,
            root.GetProperty("type").GetString() ?? string.Empty,
            Long(root, "msg_cnt"), Long(root, "msg_size"),
            Long(root, "txmsgs"), Long(root, "txmsg_bytes"),
            Long(root, "rxmsgs"), Long(root, "rxmsg_bytes"), lag);

        static long Long(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetInt64() : 0;
    }

    internal sealed record Snapshot(string ClientId, string Type, long QueueMessages, long QueueBytes,
        long SentMessages, long SentBytes, long ReceivedMessages, long ReceivedBytes, long ConsumerLag);

    [LoggerMessage(Level = LogLevel.Warning, Message = "librdkafka statistics could not be read: {Reason}")]
    private partial void LogBadStatistics(string reason);
}
