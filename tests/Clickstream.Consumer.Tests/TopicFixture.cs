extern alias emulator;

using System.Text;
using emulator::Clickstream.KafkaEmulator.Mock;
using Clickstream.Contracts;
using Confluent.Kafka;

namespace Clickstream.Consumer.Tests;

/// <summary>An in-process mock cluster with the topic, and a producer that writes access-log lines as the shipper does.</summary>
internal sealed class TopicFixture : IAsyncDisposable
{
    public const string Topic = PipelineDefaults.Topic;

    private readonly KafkaMockCluster _cluster;
    private readonly IProducer<string?, string> _producer;

    public TopicFixture(int partitions = 4)
    {
        _cluster = KafkaMockCluster.Start();
        _cluster.CreateTopic(Topic, partitions);
        _producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = _cluster.BootstrapServers, LingerMs = 1 }).Build();
    }

    public string BootstrapServers => _cluster.BootstrapServers;

    public static string Line(int i, string cookie, DateTimeOffset? time = null, string path = "/i?param=testing", string remote = "203.0.113.77") =>
        new AccessLogEntry(remote, null, time ?? DateTimeOffset.UtcNow, "GET", path, 200, 43, $"https://www.example.com/page{i % 3}",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", cookie, null).ToLine();

    /// <summary>Produces one line; <paramref name="eventId"/> becomes the <c>event-id</c> header, <paramref name="traceParent"/> the <c>traceparent</c> one.</summary>
    public void Produce(string line, string? key, string? eventId, string? traceParent = null)
    {
        var headers = new Headers();
        if (eventId is not null)
        {
            headers.Add(KafkaHeaders.EventId, Encoding.ASCII.GetBytes(eventId));
        }

        if (traceParent is not null)
        {
            headers.Add(KafkaHeaders.TraceParent, Encoding.ASCII.GetBytes(traceParent));
        }

        _producer.Produce(Topic, new Message<string?, string> { Key = key, Value = line, Headers = headers });
    }

    /// <summary>Produces hits <paramref name="from"/> … <paramref name="to"/>−1 for 40 visitors, with ids <c>f:0:i</c>.</summary>
    public void ProduceHits(int from, int to, DateTimeOffset? time = null)
    {
        for (var i = from; i < to; i++)
        {
            var cookie = $"{i % 40:x32}";
            Produce(Line(i, cookie, time), cookie, $"f:0:{i}");
        }
    }

    public void Flush() => _producer.Flush(TimeSpan.FromSeconds(30));

    public void SetBrokerDown() => _cluster.SetBrokerDown();

    public void SetBrokerUp() => _cluster.SetBrokerUp();

    public async ValueTask DisposeAsync()
    {
        _producer.Dispose();
        await _cluster.DisposeAsync();
    }
}
