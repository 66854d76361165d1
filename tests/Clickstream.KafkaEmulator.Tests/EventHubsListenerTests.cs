using System.Collections.Concurrent;
using System.Diagnostics;
using Clickstream.Contracts;
using Clickstream.KafkaEmulator.EventHubs;
using Clickstream.KafkaEmulator.Mock;
using Clickstream.ServiceDefaults.Kafka;
using Clickstream.Tests;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Clickstream.KafkaEmulator.Tests;

/// <summary>
/// The Event Hubs-style listener, through the production client path: an Event Hubs connection string
/// parsed and applied by <see cref="KafkaConnection"/> (SASL_SSL PLAIN, <c>$ConnectionString</c>, the
/// Event Hubs settings), only the CA added, as the AppHost adds it.
/// </summary>
public sealed class EventHubsListenerTests : IAsyncLifetime
{
    private const string Topic = PipelineDefaults.Topic;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);
    private const int Partitions = 4;
    private readonly TempDirectory _certificates = TestEnvironment.CreateTempDirectory("clickstream-tls");
    private readonly CapturingLogger _log = new();
    private KafkaMockCluster _cluster = null!;
    private EventHubsListener _listener = null!;

    public Task InitializeAsync() => StartAsync(TimeSpan.FromSeconds(240));

    private async Task StartAsync(TimeSpan idleTimeout)
    {
        if (_listener is not null)
        {
            await _listener.DisposeAsync();
            await _cluster.DisposeAsync();
        }

        _cluster = KafkaMockCluster.Start();
        _cluster.CreateTopic(Topic, Partitions);
        _listener = EventHubsListener.Start(_cluster, new EventHubsListenerOptions
        {
            Enabled = true,
            Port = 0,
            DevelopmentEmulatorPort = 0,
            CertificateDirectory = _certificates.Path,
            IdleTimeout = idleTimeout,
        }, _log);
    }

    public async Task DisposeAsync()
    {
        await _listener.DisposeAsync();
        await _cluster.DisposeAsync();
        _certificates.Dispose();
        // Whatever happened, no key reached a log line.
        foreach (var key in new[] { EventHubsDevelopmentRules.RootKey, EventHubsDevelopmentRules.SendKey, EventHubsDevelopmentRules.ListenKey, WrongKey })
        {
            Assert.DoesNotContain(_log.Lines, l => l.Contains(key, StringComparison.Ordinal));
        }
    }

    private const string WrongKey = "WRONG_KEY_NOT_THE_SEND_ONE";

    private string Connection(string rule, string key) =>
        EventHubsDevelopmentRules.ConnectionString("localhost", _listener.Port, rule, key, Topic);

    private T Configure<T>(T config, string connection) where T : ClientConfig
    {
        KafkaConnection.Parse(connection).ApplyTo(config);
        config.SslCaLocation = _listener.CaPath;
        return config;
    }

    private ProducerConfig ProducerConfig(string rule, string key) => Configure(new ProducerConfig
    {
        Acks = Acks.All,
        EnableIdempotence = true,
        LingerMs = 5,
    }, Connection(rule, key));

    private ConsumerConfig ConsumerConfig(string rule, string key, string group) => Configure(new ConsumerConfig
    {
        GroupId = group,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
    }, Connection(rule, key));

    [Fact]
    public async Task The_send_rule_produces_and_the_listen_rule_consumes_every_message_over_tls_and_sasl()
    {
        const int count = 2_000;
        using (var producer = new ProducerBuilder<string, string>(ProducerConfig(EventHubsDevelopmentRules.SendName, EventHubsDevelopmentRules.SendKey)).Build())
        {
            var delivered = 0;
            for (var i = 0; i < count; i++)
            {
                producer.Produce(Topic, new Message<string, string> { Key = $"k{i % 40}", Value = $"v{i}" }, r =>
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

        var values = Consume(ConsumerConfig(EventHubsDevelopmentRules.ListenName, EventHubsDevelopmentRules.ListenKey, "g"), count);
        Assert.Equal(count, values.Distinct().Count());
        Assert.Equal(count, values.Count);
        Assert.Equal(0, _listener.AuthenticationFailures);
    }

    [Fact]
    public async Task Kcat_with_the_development_connection_string_is_told_the_listeners_port_and_reads_over_sasl_ssl()
    {
        using (var producer = new ProducerBuilder<string, string>(ProducerConfig(EventHubsDevelopmentRules.RootName, EventHubsDevelopmentRules.RootKey)).Build())
        {
            foreach (var value in new[] { "one", "two", "three" })
            {
                await producer.ProduceAsync(Topic, new Message<string, string> { Key = value, Value = value });
            }
        }

        string[] sasl =
        [
            "-b", $"localhost:{_listener.Port}", "-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=PLAIN",
            "-X", "sasl.username=$ConnectionString", "-X", $"sasl.password={Connection(EventHubsDevelopmentRules.RootName, EventHubsDevelopmentRules.RootKey)}",
            "-X", $"ssl.ca.location={_listener.CaPath}",
        ];
        var metadata = await Kcat.RunAsync([.. sasl, "-L", "-t", Topic], null, Bounded);
        Assert.Contains($"localhost:{_listener.Port}", metadata);
        Assert.DoesNotContain(_cluster.BootstrapServers, metadata);

        var read = await Kcat.RunAsync([.. sasl, "-C", "-t", Topic, "-o", "beginning", "-e", "-q", "-f", "%s\n"], null, Bounded);
        Assert.Equal(["one", "three", "two"], read.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
    }

    [Fact]
    public async Task A_wrong_key_is_an_authentication_error_naming_the_rule_and_never_the_key()
    {
        var errors = new ConcurrentQueue<Error>();
        using var producer = new ProducerBuilder<string, string>(ProducerConfig(EventHubsDevelopmentRules.SendName, WrongKey))
            .SetErrorHandler((_, e) => errors.Enqueue(e))
            .SetLogHandler((_, _) => { })
            .Build();
        var delivered = false;
        producer.Produce(Topic, new Message<string, string> { Key = "k", Value = "kept" }, r => delivered = !r.Error.IsError);

        Assert.True(await TestEnvironment.EventuallyAsync(() => errors.Any(e => e.Code == ErrorCode.Local_Authentication), Bounded));
        var error = errors.First(e => e.Code == ErrorCode.Local_Authentication);
        Assert.Contains($"rule '{EventHubsDevelopmentRules.SendName}'", error.Reason);
        Assert.DoesNotContain(WrongKey, error.Reason);
        Assert.DoesNotContain("\n", error.Reason);
        Assert.False(delivered);
        Assert.True(_listener.AuthenticationFailures > 0);
        Assert.Contains(_log.Lines, l => l.Contains("authentication failed", StringComparison.Ordinal) && l.Contains(EventHubsDevelopmentRules.SendName, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_listen_rule_cannot_produce_the_broker_answers_topic_authorization_failed()
    {
        using var producer = new ProducerBuilder<string, string>(ProducerConfig(EventHubsDevelopmentRules.ListenName, EventHubsDevelopmentRules.ListenKey))
            .SetLogHandler((_, _) => { })
            .Build();
        var error = await Assert.ThrowsAsync<ProduceException<string, string>>(() =>
            producer.ProduceAsync(Topic, new Message<string, string> { Key = "k", Value = "refused" }));

        Assert.Equal(ErrorCode.TopicAuthorizationFailed, error.Error.Code);
        Assert.True(_listener.AuthorizationFailures > 0);
        Assert.Empty(Consume(ConsumerConfig(EventHubsDevelopmentRules.RootName, EventHubsDevelopmentRules.RootKey, "check"), 1, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_send_rule_cannot_fetch_the_consumer_sees_topic_authorization_failed()
    {
        using (var producer = new ProducerBuilder<string, string>(ProducerConfig(EventHubsDevelopmentRules.SendName, EventHubsDevelopmentRules.SendKey)).Build())
        {
            await producer.ProduceAsync(Topic, new Message<string, string> { Key = "k", Value = "v" });
        }

        using var consumer = new ConsumerBuilder<string, string>(ConsumerConfig(EventHubsDevelopmentRules.SendName, EventHubsDevelopmentRules.SendKey, "g"))
            .SetLogHandler((_, _) => { })
            .Build();
        consumer.Subscribe(Topic);
        ConsumeException? refused = null;
        var clock = Stopwatch.StartNew();
        while (refused is null && clock.Elapsed < Bounded)
        {
            try
            {
                Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(200)));
            }
            catch (ConsumeException ex)
            {
                refused = ex;
            }
        }

        Assert.NotNull(refused);
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, refused.Error.Code);
        Assert.True(_listener.AuthorizationFailures > 0);
        consumer.Close();
    }

    [Fact]
    public async Task A_request_over_the_event_hubs_limit_closes_the_connection_and_is_never_stored()
    {
        var config = ProducerConfig(EventHubsDevelopmentRules.SendName, EventHubsDevelopmentRules.SendKey);
        // Past our client's own Event Hubs limit, to see what the endpoint does with such a request.
        config.MessageMaxBytes = 4_000_000;
        config.MessageTimeoutMs = 8_000;
        config.EnableIdempotence = false;
        using var producer = new ProducerBuilder<string, string>(config).SetLogHandler((_, _) => { }).Build();
        await producer.ProduceAsync(Topic, new Message<string, string> { Key = "small", Value = "fits" });

        var error = await Assert.ThrowsAsync<ProduceException<string, string>>(() =>
            producer.ProduceAsync(Topic, new Message<string, string> { Key = "big", Value = new string('x', 1_100_000) }));

        Assert.NotEqual(ErrorCode.NoError, error.Error.Code);
        Assert.True(_listener.OversizedRequests > 0);
        Assert.Contains(_log.Lines, l => l.Contains("exceeds 1046528", StringComparison.Ordinal));
        Assert.Equal(["fits"], Consume(ConsumerConfig(EventHubsDevelopmentRules.RootName, EventHubsDevelopmentRules.RootKey, "check"), 2, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Idle_connections_are_cut_and_a_slow_stream_reconnects_without_loss_or_duplicates()
    {
        await StartAsync(TimeSpan.FromSeconds(3));
        using var producer = new ProducerBuilder<string, string>(ProducerConfig(EventHubsDevelopmentRules.SendName, EventHubsDevelopmentRules.SendKey))
            .SetLogHandler((_, _) => { })
            .Build();
        const int rounds = 4;
        for (var i = 0; i < rounds; i++)
        {
            var cuts = _listener.IdleDisconnects;
            var result = await producer.ProduceAsync(Topic, new Message<string, string> { Key = "slow", Value = $"slow{i}" });
            Assert.Equal(PersistenceStatus.Persisted, result.Status);
            // The next line comes only after the idle cut: every round crosses a reconnect.
            Assert.True(await TestEnvironment.EventuallyAsync(() => _listener.IdleDisconnects > cuts, Bounded), $"no idle cut after round {i}");
        }

        // Read by assignment, not in a group: with a 3 s idle cut the coordinator's connection idles between heartbeats
        // (3 s by default) and can be cut in the middle of a join on a loaded machine; this test is about the producer.
        var values = Consume(ConsumerConfig(EventHubsDevelopmentRules.ListenName, EventHubsDevelopmentRules.ListenKey, "slow"), rounds, assign: true);
        Assert.Equal(Enumerable.Range(0, rounds).Select(i => $"slow{i}"), values.Order());
        Assert.Contains(_log.Lines, l => l.Contains("idle for 00:00:03", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_emulator_convention_port_takes_sasl_plaintext_with_a_use_development_emulator_connection_string()
    {
        var development = $"Endpoint=sb://localhost:{_listener.DevelopmentEmulatorPort};SharedAccessKeyName={EventHubsDevelopmentRules.RootName};"
            + $"SharedAccessKey={EventHubsDevelopmentRules.RootKey};UseDevelopmentEmulator=true;EntityPath={Topic}";
        var config = new ProducerConfig { Acks = Acks.All };
        KafkaConnection.Parse(development).ApplyTo(config);
        Assert.Equal(SecurityProtocol.SaslPlaintext, config.SecurityProtocol);
        using (var producer = new ProducerBuilder<string, string>(config).Build())
        {
            await producer.ProduceAsync(Topic, new Message<string, string> { Key = "k", Value = "emulator" });
        }

        var consumer = new ConsumerConfig { GroupId = "dev", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false };
        KafkaConnection.Parse(development).ApplyTo(consumer);
        Assert.Equal(["emulator"], Consume(consumer, 1));

        // The same key without the emulator's flag is refused on that port.
        var errors = new ConcurrentQueue<Error>();
        var plain = new ProducerConfig
        {
            BootstrapServers = $"localhost:{_listener.DevelopmentEmulatorPort}",
            SecurityProtocol = SecurityProtocol.SaslPlaintext,
            SaslMechanism = SaslMechanism.Plain,
            SaslUsername = "$ConnectionString",
            SaslPassword = development.Replace("UseDevelopmentEmulator=true;", "", StringComparison.Ordinal),
        };
        using var refused = new ProducerBuilder<string, string>(plain).SetErrorHandler((_, e) => errors.Enqueue(e)).SetLogHandler((_, _) => { }).Build();
        refused.Produce(Topic, new Message<string, string> { Key = "k", Value = "no" });
        Assert.True(await TestEnvironment.EventuallyAsync(() => errors.Any(e => e.Code == ErrorCode.Local_Authentication), Bounded));
        Assert.Contains(errors, e => e.Reason.Contains("UseDevelopmentEmulator=true", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_ca_is_generated_once_and_reused_by_the_next_start()
    {
        var first = await File.ReadAllTextAsync(_listener.CaPath);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", first);
        await StartAsync(TimeSpan.FromSeconds(240));
        Assert.Equal(first, await File.ReadAllTextAsync(_listener.CaPath));
    }

    private static List<string> Consume(ConsumerConfig config, int expected, TimeSpan? timeout = null, bool assign = false)
    {
        using var consumer = new ConsumerBuilder<string, string>(config).SetLogHandler((_, _) => { }).Build();
        if (assign)
        {
            consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Topic, p, Offset.Beginning)));
        }
        else
        {
            consumer.Subscribe(Topic);
        }

        var values = new List<string>();
        var clock = Stopwatch.StartNew();
        while (values.Count < expected && clock.Elapsed < (timeout ?? Bounded))
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } result)
            {
                values.Add(result.Message.Value);
            }
        }

        // A little longer: anything beyond what was expected is a duplicate or a leak.
        var extra = Stopwatch.StartNew();
        while (extra.Elapsed < TimeSpan.FromSeconds(1))
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } result)
            {
                values.Add(result.Message.Value);
            }
        }

        consumer.Close();
        return values;
    }

    private sealed class CapturingLogger : ILogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception));
    }
}
