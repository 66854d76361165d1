using System.Text;
using Clickstream.Consumer.Stats;
using Clickstream.KafkaEmulator.Mock;
using Clickstream.Tests;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Clickstream.Consumer.Tests;

/// <summary>The consume loop against the embedded broker: duplicates and malformed messages do not bend the counts.</summary>
public sealed class ConsumerComponentTests
{
    [Fact]
    public async Task Counts_are_exact_with_redelivered_duplicates_and_malformed_messages_on_the_topic()
    {
        await using var cluster = KafkaMockCluster.Start();
        cluster.CreateTopic("clickstream", 4);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers }).Build())
        {
            for (var i = 0; i < 300; i++)
            {
                var line = $$"""{"remote":"10.0.0.1","time":"2026-11-24T10:00:00+00:00","method":"GET","path":"/i?n={{i % 3}}","code":"200","cookie":"{{i % 40:x32}}"}""";
                var message = new Message<string, string> { Key = $"{i % 40:x32}", Value = line, Headers = [new Header("event-id", Encoding.ASCII.GetBytes($"f:0:{i}"))] };
                producer.Produce("clickstream", message);
                if (i % 10 == 0)
                {
                    producer.Produce("clickstream", message); // a redelivery
                }
            }

            producer.Produce("clickstream", new Message<string, string> { Key = "x", Value = "garbage{" });
            producer.Produce("clickstream", new Message<string, string> { Key = "x", Value = "[]" });
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:kafka"] = cluster.BootstrapServers,
            ["Kafka:Consumer:Config:session.timeout.ms"] = "6000",
        });
        builder.AddClickstreamConsumer();
        using var host = builder.Build();
        await host.StartAsync();
        var stats = host.Services.GetRequiredService<LiveStats>();

        var done = await TestEnvironment.EventuallyAsync(() => stats.Snapshot() is { TotalEvents: 300, DuplicatesDropped: 30, MalformedSkipped: 2 },
            TimeSpan.FromSeconds(30));
        var snapshot = stats.Snapshot();
        Assert.True(done, $"snapshot: {snapshot}");
        Assert.Equal(40, snapshot.UniqueVisitors);
        Assert.Equal(0, snapshot.LostToOffsetResets);
        Assert.Equal(["/i?n=0", "/i?n=1", "/i?n=2"], snapshot.TopPaths.Select(p => p.Key).Order());
        await host.StopAsync();
    }
}
