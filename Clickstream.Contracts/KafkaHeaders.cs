namespace Clickstream.Contracts;

/// <summary>
/// The headers of every message on the topic. The value is the access-log line and the key the visitor
/// cookie (none for <c>-</c>).
/// </summary>
public static class KafkaHeaders
{
    /// <summary><c>device:inode:generation:offset</c> of the line, so consumers drop redeliveries.</summary>
    public const string EventId = "event-id";

    /// <summary>The W3C trace context of the shipper's span in the hit's trace (or of the line itself).</summary>
    public const string TraceParent = "traceparent";
}
