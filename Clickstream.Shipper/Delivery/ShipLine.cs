using Clickstream.Shipper.Checkpoints;

namespace Clickstream.Shipper.Delivery;

/// <summary>A line on its way to the broker, with what it takes to checkpoint it once acknowledged.</summary>
public sealed class ShipLine(string file, long offset, long endOffset, byte[]? key, byte[] value, byte[] eventId, AckTracker tracker)
{
    public string File { get; } = file;

    /// <summary>Byte offset of the line's first byte in its file.</summary>
    public long Offset { get; } = offset;

    /// <summary>Byte offset just past the line's newline: the checkpoint once this line is acknowledged.</summary>
    public long EndOffset { get; } = endOffset;

    public byte[]? Key { get; } = key;

    public byte[] Value { get; } = value;

    /// <summary>Deterministic (file identity, generation, offset), so a consumer can drop a redelivered line.</summary>
    public byte[] EventId { get; } = eventId;

    public AckTracker Tracker { get; } = tracker;

    /// <summary>The line's own W3C traceparent (from its <c>traceparent</c> field), if any.</summary>
    public byte[]? TraceParent { get; init; }

    /// <summary>The traceparent header of the "ship" span, when one was sampled (else <see cref="TraceParent"/> is sent).</summary>
    public byte[]? TraceParentHeader { get; set; }

    public int Attempts { get; set; }

    public long SentTimestamp { get; set; }

    /// <summary>The line's finalizer: a final outcome lets the checkpoint move over it, in file order.</summary>
    public void Finalize(DeliveryOutcome outcome) => Tracker.Finalized(EndOffset, outcome);
}
