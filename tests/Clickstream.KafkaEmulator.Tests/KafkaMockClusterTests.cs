using System.Diagnostics;
using Clickstream.Contracts;
using Clickstream.KafkaEmulator.Mock;
using Clickstream.Tests;
using Confluent.Kafka;

namespace Clickstream.KafkaEmulator.Tests;

/// <summary>What the embedded broker can do, checked with Confluent.Kafka and with kcat from another process.</summary>
public sealed class KafkaMockClusterTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Idempotent_acks_all_producing_and_group_consuming_round_trip_every_message()
    {
        await using var cluster = KafkaMockCluster.Start();
        cluster.CreateTopic("t", 4);
        const int count = 5_000;

        using (var producer = NewProducer(cluster.BootstrapServers))
        {
            var delivered = 0;
            for (var i = 0; i < count; i++)
            {
                producer.Produce("t", new Message<string, string> { Key = $"k{i % 50}", Value = $"v{i}" }, r =>
                {
                    if (!r.Error.IsError)
                    {
                        Interlocked.Increment(ref delivered);
                    }
                });
            }

            producer.Flush(Bounded);
            Assert.Equal(count, delivered);
        }

        var values = ConsumeAll(cluster.BootstrapServers, "t", "g1", count);
        Assert.Equal(count, values.Distinct().Count());
    }

    [Fact]
    public async Task A_consumer_group_resumes_after_its_committed_offsets()
    {
        await using var cluster = KafkaMockCluster.Start();
        cluster.CreateTopic("t", 2);
        await ProduceAsync(cluster.BootstrapServers, "t", Enumerable.Range(0, 100).Select(i => $"a{i}"));
        Assert.Equal(100, ConsumeAll(cluster.BootstrapServers, "t", "g", 100).Count);

        await ProduceAsync(cluster.BootstrapServers, "t", Enumerable.Range(0, 30).Select(i => $"b{i}"));
        var second = ConsumeAll(cluster.BootstrapServers, "t", "g", 30);
        Assert.Equal(30, second.Count);
        Assert.All(second, v => Assert.StartsWith("b", v));
    }

    [Fact]
    public async Task On_a_fixed_port_kcat_from_another_process_sees_the_broker_there_and_round_trips()
    {
        var port = 0;
        await using var cluster = TestEnvironment.StartOnFreePort(p => KafkaMockCluster.Start(port = p));
        cluster.CreateTopic(PipelineDefaults.Topic, 3);
        Assert.Equal($"127.0.0.1:{port}", cluster.BootstrapServers);

        var metadata = await Kcat.RunAsync(["-b", cluster.BootstrapServers, "-L", "-t", PipelineDefaults.Topic], null, Bounded);
        Assert.Contains($"127.0.0.1:{port}", metadata);
        Assert.Contains("with 3 partitions", metadata);

        await Kcat.ProduceAsync(cluster.BootstrapServers, PipelineDefaults.Topic, ["one", "two", "three"], Bounded);
        var read = await Kcat.ReadAllAsync(cluster.BootstrapServers, PipelineDefaults.Topic, Bounded);
        Assert.Equal(["one", "three", "two"], read.Select(m => m.Value).Order());
    }

    [Fact]
    public async Task Messages_sent_while_the_broker_is_down_are_delivered_once_it_is_up()
    {
        await using var cluster = KafkaMockCluster.Start();
        cluster.CreateTopic("t", 2);
        var brokerGone = 0;
        using var producer = NewProducer(cluster.BootstrapServers, e =>
        {
            if (e.Code is ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown)
            {
                Interlocked.Increment(ref brokerGone);
            }
        });
        await producer.ProduceAsync("t", new Message<string, string> { Key = "k", Value = "before" });

        cluster.SetBrokerDown();
        var errors = 0;
        var delivered = 0;
        for (var i = 0; i < 200; i++)
        {
            producer.Produce("t", new Message<string, string> { Key = $"k{i}", Value = $"down{i}" }, r =>
            {
                Interlocked.Increment(ref r.Error.IsError ? ref errors : ref delivered);
            });
        }

        // The client has found the broker gone (its connection closed, a reconnect refused) with the messages queued.
        Assert.True(await TestEnvironment.EventuallyAsync(() => Volatile.Read(ref brokerGone) > 0, TimeSpan.FromSeconds(30)), "the producer never saw the broker go down");
        Assert.Equal(0, Volatile.Read(ref delivered));
        cluster.SetBrokerUp();
        producer.Flush(Bounded);

        Assert.Equal(0, errors);
        Assert.Equal(200, delivered);
        Assert.Equal(201, ConsumeAll(cluster.BootstrapServers, "t", "g", 201).Count);
    }

    [Fact]
    public async Task Injected_produce_errors_are_retried_by_the_client_and_nothing_is_lost()
    {
        await using var cluster = KafkaMockCluster.Start();
        cluster.CreateTopic("t", 1);
        using var producer = NewProducer(cluster.BootstrapServers);
        await producer.ProduceAsync("t", new Message<string, string> { Key = "k", Value = "warm-up" });

        cluster.PushRequestErrors(KafkaApi.Produce, ErrorCode.NotEnoughReplicas, ErrorCode.NotEnoughReplicas, ErrorCode.RequestTimedOut);
        var result = await producer.ProduceAsync("t", new Message<string, string> { Key = "k", Value = "after-errors" });

        Assert.Equal(PersistenceStatus.Persisted, result.Status);
        Assert.Equal(2, ConsumeAll(cluster.BootstrapServers, "t", "g", 2).Count);
    }

    [Fact]
    public async Task Latency_injection_slows_every_answer()
    {
        await using var cluster = KafkaMockCluster.Start();
        cluster.CreateTopic("t", 1);
        using var producer = NewProducer(cluster.BootstrapServers);
        await producer.ProduceAsync("t", new Message<string, string> { Key = "k", Value = "warm-up" });

        cluster.SetBrokerLatency(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        await producer.ProduceAsync("t", new Message<string, string> { Key = "k", Value = "slow" });
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"took {clock.Elapsed}");
    }

    private static IProducer<string, string> NewProducer(string bootstrap, Action<Error>? onError = null) =>
        new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 5,
            MessageTimeoutMs = 0,
        }).SetErrorHandler((_, error) => onError?.Invoke(error)).Build();

    private static async Task ProduceAsync(string bootstrap, string topic, IEnumerable<string> values)
    {
        using var producer = NewProducer(bootstrap);
        foreach (var value in values)
        {
            await producer.ProduceAsync(topic, new Message<string, string> { Key = value, Value = value });
        }
    }

    private static List<string> ConsumeAll(string bootstrap, string topic, string group, int expected)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            SessionTimeoutMs = 6000,
        }).Build();
        consumer.Subscribe(topic);
        var values = new List<string>();
        var clock = Stopwatch.StartNew();
        while (values.Count < expected && clock.Elapsed < Bounded)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } result)
            {
                values.Add(result.Message.Value);
            }
        }

        if (values.Count > 0)
        {
            consumer.Commit();
        }

        consumer.Close();
        return values;
    }
}
