using Clickstream.Contracts;
using Microsoft.Extensions.Configuration;

namespace Aspire.Hosting;

/// <summary>Where the stream lives. Changing it is configuration, never a code fork.</summary>
public enum KafkaMode
{
    /// <summary>The embedded Kafka-protocol broker (librdkafka's mock cluster): needs nothing but .NET.</summary>
    Emulator,

    /// <summary>The official apache/kafka image, KRaft single node, data on a volume: needs a Docker engine.</summary>
    Container,

    /// <summary>Microsoft's Event Hubs emulator (plus Azurite), Kafka endpoint on 9092: needs a Docker engine.</summary>
    EventHubsEmulator,

    /// <summary>An existing cluster: <c>ConnectionStrings:kafka</c> is its bootstrap list.</summary>
    External,

    /// <summary>Azure Event Hubs through its Kafka endpoint.</summary>
    EventHubs,

    /// <summary>
    /// The embedded broker behind its Event Hubs-style listener (TLS, SASL PLAIN with <c>$ConnectionString</c>,
    /// Send/Listen rules): the services connect exactly as in <see cref="EventHubs"/> with connection strings.
    /// </summary>
    EventHubsLocal,
}

/// <summary>How services authenticate to Event Hubs.</summary>
public enum EventHubsAuth
{
    /// <summary>Microsoft Entra ID tokens (managed identity when deployed): no key exists to leak.</summary>
    EntraId,

    /// <summary>SAS connection strings, as secret parameters: one with Send for the shipper, one with Listen for the consumer.</summary>
    ConnectionString,
}

/// <summary>Which server answers the pixel.</summary>
public enum PixelServer
{
    Kestrel,
    Nginx,
    NginxContainer,
}

/// <summary>
/// The AppHost's own settings, from its appsettings.json, environment (<c>Clickstream__Ports__Pixel</c>,
/// <c>Kafka__Mode</c>) or command line (<c>--Kafka:Mode=external</c>).
/// </summary>
public sealed class ClickstreamSettings
{
    /// <summary>
    /// Access logs, shipper checkpoints and dead letters live below it. Relative to the AppHost project; published,
    /// always <see cref="ClickstreamPublishing.ContainerDataDirectory"/> (the unit's volume).
    /// </summary>
    public string DataDirectory { get; set; } = "../.data";

    public PortSettings Ports { get; set; } = new();

    /// <summary>Partitions of the topic the emulator creates.</summary>
    public int Partitions { get; set; } = 32;

    public string Topic { get; set; } = PipelineDefaults.Topic;

    /// <summary><c>Kafka:Mode</c>; unset, <see cref="KafkaMode.Emulator"/> when run and <see cref="KafkaMode.EventHubs"/> when published.</summary>
    public KafkaMode KafkaMode { get; set; } = KafkaMode.Emulator;

    public EventHubsAuth EventHubsAuth { get; set; } = EventHubsAuth.EntraId;

    public PixelServer PixelServer { get; set; } = PixelServer.Kestrel;

    /// <summary><c>eventhubs-local</c>: the listener closes connections idle this long (Event Hubs: 240 s; tests use seconds).</summary>
    public TimeSpan? EventHubsIdleTimeout { get; set; }

    public static ClickstreamSettings From(IDistributedApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var settings = new ClickstreamSettings();
        configuration.GetSection("Clickstream").Bind(settings);
        // Published (azd runs the AppHost with --publisher manifest), the stream is Azure's; run here, it is the emulator.
        var publishing = builder.ExecutionContext.IsPublishMode;
        settings.KafkaMode = ParseEnum(configuration["Kafka:Mode"], publishing ? KafkaMode.EventHubs : KafkaMode.Emulator, "Kafka:Mode");
        settings.EventHubsAuth = ParseEnum(configuration["Kafka:EventHubs:Auth"], EventHubsAuth.EntraId, "Kafka:EventHubs:Auth");
        settings.PixelServer = ParseEnum(configuration["Pixel:Server"], PixelServer.Kestrel, "Pixel:Server");
        settings.DataDirectory = publishing
            ? ClickstreamPublishing.ContainerDataDirectory
            : Path.GetFullPath(Path.Combine(builder.AppHostDirectory, settings.DataDirectory));
        return settings;
    }

    /// <summary>Accepts the documented kebab-case names (<c>eventhubs-emulator</c>, <c>nginx-container</c>) as well as the enum names.</summary>
    internal static T ParseEnum<T>(string? value, T fallback, string key) where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        if (Enum.TryParse<T>(value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed))
        {
            return parsed;
        }

        var choices = string.Join(" | ", Enum.GetNames<T>().Select(Kebab));
        throw new ClickstreamSetupException($"{key}={value} is not a known choice; use one of {choices}.");
    }

    internal static string Kebab(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()))
            .Replace("event-hubs", "eventhubs", StringComparison.Ordinal);

    public string LogDirectory => Path.Combine(DataDirectory, "logs");

    public string ShipperStateDirectory => Path.Combine(DataDirectory, "shipper");

    /// <summary>The consumer's checkpoints (aggregates with the offsets they reflect), so a restart keeps its history.</summary>
    public string ConsumerStateDirectory => Path.Combine(DataDirectory, "consumer");

    public sealed class PortSettings
    {
        public int Pixel { get; set; } = 8080;

        public int Consumer { get; set; } = 8081;

        public int Kafka { get; set; } = 9092;

        /// <summary><c>eventhubs-local</c>: the TLS + SASL listener (Event Hubs' own Kafka port).</summary>
        public int EventHubs { get; set; } = 9093;

        /// <summary><c>eventhubs-local</c>: SASL_PLAINTEXT with Microsoft's emulator's <c>UseDevelopmentEmulator=true</c> convention.</summary>
        public int EventHubsEmulator { get; set; } = 9094;
    }
}

/// <summary>A choice of mode that cannot work here; its message is one sentence saying what to install or pick.</summary>
public sealed class ClickstreamSetupException(string message) : Exception(message);
