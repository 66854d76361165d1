using System.ComponentModel.DataAnnotations;
using Clickstream.Contracts;

namespace Clickstream.KafkaEmulator.EventHubs;

/// <summary>What a shared access rule may do, as Event Hubs grants it.</summary>
[Flags]
public enum SasRights
{
    None = 0,
    Listen = 1,
    Send = 2,

    /// <summary>Manage includes Send and Listen, as in Event Hubs.</summary>
    Manage = 4 | Listen | Send,
}

/// <summary>One shared access rule: <c>SharedAccessKeyName</c>, <c>SharedAccessKey</c> and its rights.</summary>
public sealed class SasRule
{
    [Required]
    public string Name { get; set; } = "";

    [Required]
    public string Key { get; set; } = "";

    public SasRights Rights { get; set; }

    /// <summary>Safe to log: the name and rights, never the key.</summary>
    public override string ToString() => $"{Name} ({Rights})";
}

/// <summary>
/// Bound from <c>KafkaEmulator:EventHubs</c>: a listener in front of the mock broker that does what
/// Event Hubs' Kafka endpoint does at the connection level.
/// </summary>
public sealed class EventHubsListenerOptions
{
    /// <summary>Event Hubs refuses a request of more than this many bytes by closing the connection.</summary>
    public const int EventHubsMaxRequestBytes = 1_046_528;

    public bool Enabled { get; set; }

    /// <summary>TLS + SASL PLAIN (Event Hubs' own port is 9093); 0 picks a free one.</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 9093;

    /// <summary>
    /// Microsoft's Event Hubs emulator's convention (SASL_PLAINTEXT PLAIN, a connection string with
    /// <c>UseDevelopmentEmulator=true</c>) on a port of its own; 0 picks a free one, null turns it off.
    /// </summary>
    [Range(0, 65535)]
    public int? DevelopmentEmulatorPort { get; set; } = 9094;

    /// <summary>Where the CA and server certificate are generated at first start and reused afterwards.</summary>
    public string CertificateDirectory { get; set; } = "../.data/kafka-tls";

    /// <summary>The rules keys are checked against; empty means <see cref="EventHubsDevelopmentRules"/>.</summary>
    public List<SasRule> Rules { get; set; } = [];

    [Range(1024, int.MaxValue)]
    public int MaxRequestBytes { get; set; } = EventHubsMaxRequestBytes;

    /// <summary>Event Hubs closes a connection nothing crossed for 240 s.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(240);

    public IReadOnlyList<SasRule> EffectiveRules() => Rules.Count > 0 ? Rules :
    [
        new SasRule { Name = EventHubsDevelopmentRules.RootName, Key = EventHubsDevelopmentRules.RootKey, Rights = SasRights.Manage },
        new SasRule { Name = EventHubsDevelopmentRules.SendName, Key = EventHubsDevelopmentRules.SendKey, Rights = SasRights.Send },
        new SasRule { Name = EventHubsDevelopmentRules.ListenName, Key = EventHubsDevelopmentRules.ListenKey, Rights = SasRights.Listen },
    ];
}
