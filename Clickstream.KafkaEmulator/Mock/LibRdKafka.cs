using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Clickstream.KafkaEmulator.Mock;

/// <summary>
/// The few librdkafka functions that create and steer its mock cluster. Confluent.Kafka does not wrap
/// them, so they are called directly from the same native library Confluent.Kafka loads.
/// </summary>
internal static partial class LibRdKafka
{
    private const string Library = "librdkafka";

    static LibRdKafka() => NativeLibrary.SetDllImportResolver(typeof(LibRdKafka).Assembly, Resolve);

    /// <summary>Makes sure the resolver is installed before the first call.</summary>
    public static void EnsureLoaded() => RuntimeHelpers.RunClassConstructor(typeof(LibRdKafka).TypeHandle);

    // The stock librdkafka.so needs libsasl2.so.3, absent on Debian 12; the package's centos8 build
    // does not, and it is the one Confluent.Kafka falls back to as well, so both share one copy.
    private static readonly string[] Candidates = ["librdkafka.so", "centos8-librdkafka.so", "alpine-librdkafka.so"];

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library)
        {
            return IntPtr.Zero;
        }

        var directories = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native"),
            Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"),
            AppContext.BaseDirectory,
        };
        var failures = new List<string>();
        foreach (var directory in directories)
        {
            foreach (var candidate in Candidates)
            {
                var file = Path.Combine(directory, candidate);
                if (!File.Exists(file))
                {
                    continue;
                }

                if (NativeLibrary.TryLoad(file, out var handle))
                {
                    return handle;
                }

                failures.Add(file);
            }
        }

        throw new DllNotFoundException($"No loadable librdkafka next to the application (tried {string.Join(", ", failures)}).");
    }

    public const int ProducerType = 0;

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_conf_new();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_conf_set(IntPtr conf, string name, string value, byte[] errstr, UIntPtr errstrSize);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errstr, UIntPtr errstrSize);

    [LibraryImport(Library)]
    public static partial void rd_kafka_destroy(IntPtr rk);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);

    [LibraryImport(Library)]
    public static partial void rd_kafka_mock_cluster_destroy(IntPtr cluster);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitionCount, int replicationFactor);

    [LibraryImport(Library)]
    public static partial int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId);

    [LibraryImport(Library)]
    public static partial int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId);

    [LibraryImport(Library)]
    public static partial int rd_kafka_mock_broker_set_rtt(IntPtr cluster, int brokerId, int rttMs);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_broker_set_host_port(IntPtr cluster, int brokerId, string host, int port);

    /// <summary>The non-variadic form of <c>rd_kafka_mock_push_request_errors</c>.</summary>
    [LibraryImport(Library)]
    public static partial void rd_kafka_mock_push_request_errors_array(IntPtr cluster, short apiKey, UIntPtr count, int[] errors);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_err2str(int err);

    public static string ErrorText(int err) => Marshal.PtrToStringUTF8(rd_kafka_err2str(err)) ?? $"error {err}";
}
