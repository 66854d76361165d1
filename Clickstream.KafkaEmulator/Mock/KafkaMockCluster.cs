using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace Clickstream.KafkaEmulator.Mock;

/// <summary>
/// An in-process Kafka-protocol broker: librdkafka's mock cluster, with a typed API for the faults
/// tests inject. Other processes (our services, kcat) reach it over TCP at <see cref="BootstrapServers"/>.
/// </summary>
public sealed class KafkaMockCluster : IAsyncDisposable
{
    private readonly IntPtr _rk;
    private readonly IntPtr _cluster;
    private readonly TcpRelay? _relay;
    private readonly Lock _gate = new();
    private bool _disposed;

    private KafkaMockCluster(IntPtr rk, IntPtr cluster, TcpRelay? relay, string bootstrapServers, int brokerCount, IPEndPoint broker)
    {
        BrokerEndpoint = broker;
        _rk = rk;
        _cluster = cluster;
        _relay = relay;
        BootstrapServers = bootstrapServers;
        BrokerCount = brokerCount;
    }

    /// <summary>Where clients connect, e.g. <c>127.0.0.1:9092</c>.</summary>
    public string BootstrapServers { get; }

    public int BrokerCount { get; }

    /// <summary>The first mock broker's own (ephemeral) endpoint, for listeners that sit in front of it.</summary>
    internal IPEndPoint BrokerEndpoint { get; }

    /// <summary>
    /// Starts a cluster. With <paramref name="port"/> 0 clients talk to the mock broker's own ephemeral
    /// port; with a fixed port (one broker only) a relay listens there and the broker advertises it.
    /// </summary>
    public static KafkaMockCluster Start(int port = 0, int brokerCount = 1)
    {
        if (port != 0 && brokerCount != 1)
        {
            throw new ArgumentException("A fixed port works with one broker only.", nameof(brokerCount));
        }

        LibRdKafka.EnsureLoaded();
        var errors = new byte[512];
        var conf = LibRdKafka.rd_kafka_conf_new();
        // The handle only hosts the mock cluster's thread; keep its own logging quiet.
        LibRdKafka.rd_kafka_conf_set(conf, "log_level", "3", errors, (UIntPtr)errors.Length);
        var rk = LibRdKafka.rd_kafka_new(LibRdKafka.ProducerType, conf, errors, (UIntPtr)errors.Length);
        if (rk == IntPtr.Zero)
        {
            throw new InvalidOperationException($"librdkafka refused to create a handle: {Text(errors)}");
        }

        var cluster = LibRdKafka.rd_kafka_mock_cluster_new(rk, brokerCount);
        if (cluster == IntPtr.Zero)
        {
            LibRdKafka.rd_kafka_destroy(rk);
            throw new InvalidOperationException("librdkafka could not start its mock cluster.");
        }

        var bootstraps = Marshal.PtrToStringUTF8(LibRdKafka.rd_kafka_mock_cluster_bootstraps(cluster))!;
        var target = IPEndPoint.Parse(bootstraps.Split(',')[0].Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
        if (port == 0)
        {
            return new KafkaMockCluster(rk, cluster, null, bootstraps, brokerCount, target);
        }

        TcpRelay relay;
        try
        {
            relay = new TcpRelay(IPAddress.Loopback, port, target);
        }
        catch
        {
            LibRdKafka.rd_kafka_mock_cluster_destroy(cluster);
            LibRdKafka.rd_kafka_destroy(rk);
            throw;
        }

        // Metadata must name the relay, or clients would bypass it for the ephemeral port.
        Check(LibRdKafka.rd_kafka_mock_broker_set_host_port(cluster, 1, "127.0.0.1", relay.Port), "set the advertised port");
        return new KafkaMockCluster(rk, cluster, relay, $"127.0.0.1:{relay.Port}", brokerCount, target);
    }

    public void CreateTopic(string topic, int partitions) =>
        Invoke(c => LibRdKafka.rd_kafka_mock_topic_create(c, topic, partitions, 1), $"create topic '{topic}'");

    /// <summary>Disconnects the broker and refuses new connections until <see cref="SetBrokerUp"/>.</summary>
    public void SetBrokerDown(int brokerId = 1) => Invoke(c => LibRdKafka.rd_kafka_mock_broker_set_down(c, brokerId), $"set broker {brokerId} down");

    public void SetBrokerUp(int brokerId = 1) => Invoke(c => LibRdKafka.rd_kafka_mock_broker_set_up(c, brokerId), $"set broker {brokerId} up");

    /// <summary>Adds a round-trip delay to every answer of the broker.</summary>
    public void SetBrokerLatency(TimeSpan rtt, int brokerId = 1) =>
        Invoke(c => LibRdKafka.rd_kafka_mock_broker_set_rtt(c, brokerId, (int)rtt.TotalMilliseconds), $"set broker {brokerId} latency");

    /// <summary>The next requests of <paramref name="api"/> fail with these errors, in order.</summary>
    public void PushRequestErrors(KafkaApi api, params Confluent.Kafka.ErrorCode[] errors)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            LibRdKafka.rd_kafka_mock_push_request_errors_array(_cluster, (short)api, (UIntPtr)errors.Length,
                errors.Select(e => (int)e).ToArray());
        }
    }

    private void Invoke(Func<IntPtr, int> call, string what)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Check(call(_cluster), what);
        }
    }

    private static void Check(int err, string what)
    {
        if (err != 0)
        {
            throw new InvalidOperationException($"The mock cluster could not {what}: {LibRdKafka.ErrorText(err)}");
        }
    }

    private static string Text(byte[] buffer) => Encoding.UTF8.GetString(buffer, 0, Math.Max(0, Array.IndexOf(buffer, (byte)0)));

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        if (_relay is not null)
        {
            await _relay.DisposeAsync();
        }

        LibRdKafka.rd_kafka_mock_cluster_destroy(_cluster);
        LibRdKafka.rd_kafka_destroy(_rk);
    }
}

/// <summary>Kafka protocol API keys that tests inject errors into.</summary>
public enum KafkaApi : short
{
    Produce = 0,
    Fetch = 1,
    ListOffsets = 2,
    Metadata = 3,
    OffsetCommit = 8,
    OffsetFetch = 9,
    FindCoordinator = 10,
    JoinGroup = 11,
    Heartbeat = 12,
    SyncGroup = 14,
    InitProducerId = 22,
}
