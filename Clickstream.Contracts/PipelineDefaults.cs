namespace Clickstream.Contracts;

/// <summary>Defaults every stage must agree on; configuration may override each one.</summary>
public static class PipelineDefaults
{
    /// <summary>The topic (Event Hubs: the hub) every hit is produced to.</summary>
    public const string Topic = "clickstream";

    /// <summary>The dashboard's consumer group.</summary>
    public const string ConsumerGroup = "clickstream-dashboard";
}
