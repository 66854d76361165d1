using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace Clickstream.Consumer.Lake;

/// <summary>
/// One applied event as the lake stores it: the access-log fields, what the analytics derived from them,
/// and where it came from on the topic (partition, offset, event id), so a reader can check that every
/// event is there once. Column names are snake_case; the README's "Lake" section lists them.
/// </summary>
public sealed class LakeEvent
{
    [JsonPropertyName("event_time")]
    [ParquetTimestamp(ParquetTimestampResolution.Milliseconds)]
    public DateTime EventTime { get; set; }

    [JsonPropertyName("site")]
    public string Site { get; set; } = "";

    [JsonPropertyName("event_type")]
    public string EventType { get; set; } = "";

    [JsonPropertyName("page_path")]
    public string? PagePath { get; set; }

    [JsonPropertyName("page_title")]
    public string? PageTitle { get; set; }

    [JsonPropertyName("source")]
    public string? Source { get; set; }

    [JsonPropertyName("channel")]
    public string? Channel { get; set; }

    [JsonPropertyName("campaign")]
    public string? Campaign { get; set; }

    [JsonPropertyName("custom_event")]
    public string? CustomEvent { get; set; }

    [JsonPropertyName("browser")]
    public string? Browser { get; set; }

    [JsonPropertyName("os")]
    public string? OperatingSystem { get; set; }

    [JsonPropertyName("device")]
    public string? Device { get; set; }

    [JsonPropertyName("is_bot")]
    public bool IsBot { get; set; }

    /// <summary>The visitor's 64-bit hash (cookie or cookieless id) as a signed integer; null for bots.</summary>
    [JsonPropertyName("visitor")]
    public long? Visitor { get; set; }

    [JsonPropertyName("session")]
    public long? Session { get; set; }

    [JsonPropertyName("new_session")]
    public bool NewSession { get; set; }

    [JsonPropertyName("engaged_ms")]
    public long? EngagedMs { get; set; }

    [JsonPropertyName("status")]
    public string? Status { get; set; }

    [JsonPropertyName("partition")]
    public int Partition { get; set; }

    [JsonPropertyName("offset")]
    public long Offset { get; set; }

    [JsonPropertyName("event_id")]
    public string? EventId { get; set; }
}
