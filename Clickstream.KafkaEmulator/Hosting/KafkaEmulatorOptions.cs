using System.ComponentModel.DataAnnotations;
using Clickstream.Contracts;
using Clickstream.KafkaEmulator.EventHubs;

namespace Clickstream.KafkaEmulator.Hosting;

/// <summary>Bound from the <c>KafkaEmulator</c> section.</summary>
public sealed class KafkaEmulatorOptions
{
    public const string SectionName = "KafkaEmulator";

    /// <summary>The fixed loopback port clients bootstrap from; 0 lets the mock broker's ephemeral port show through.</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 9092;

    [Required]
    public string Topic { get; set; } = PipelineDefaults.Topic;

    /// <summary>
    /// The mock keeps at most 5 MiB of batches per partition and drops older ones. 32 partitions with
    /// lz4-compressed keyed hits hold a few million hits, plenty for a dev session.
    /// </summary>
    [Range(1, 1024)]
    public int Partitions { get; set; } = 32;

    /// <summary>The Event Hubs-style listener (TLS + SASL PLAIN, rights, limits); off unless enabled.</summary>
    public EventHubsListenerOptions EventHubs { get; set; } = new();
}
