using Clickstream.Shipper.Checkpoints;
using Clickstream.Shipper.Delivery;

namespace Clickstream.Shipper.Buffering;

/// <summary>
/// A line on its way from the source (a file tail) through the buffer to the sink (the Kafka sender), carrying its
/// finalizer: the file's <see cref="AckTracker"/>, which the source told about the line when it read it, and the line's
/// end offset. The sink resolves it once with the line's final outcome (<see cref="Finalize"/>).
/// </summary>
public sealed class ShipLine(string file, long offset, long endOffset, byte[]? key, byte[] value, byte[] eventId, AckTracker tracker)
{
    public string File { get; } = file;

    /// <summary>Byte offset of the line's first byte in its file.</summary>
    public long Offset { get; } = offset;

    /// <summary>Byte offset just past the line's newline: the checkpoint once this line is finalized.</summary>
    public long EndOffset { get; } = endOffset;

    public byte[]? Key { get; } = key;

    public byte[] Value { get; } = value;

    /// <summary>Given by the source (file identity, generation, offset), so a consumer can drop a redelivered line.</summary>
    public byte[] EventId { get; } = eventId;

    /// <summary>The line's own W3C traceparent (from its <c>traceparent</c> field), if any.</summary>
    public byte[]? TraceParent { get; init; }

    /// <summary>The traceparent header of the "ship" span, when one was sampled (else <see cref="TraceParent"/> is sent).</summary>
    public byte[]? TraceParentHeader { get; set; }

    public int Attempts { get; set; }

    public long SentTimestamp { get; set; }

    /// <summary>
    /// The line's finalizer: a final outcome lets the file's checkpoint move over it, in file order. Returns the sent
    /// lines the checkpoint moved over, whose room in the in-flight window the sink frees.
    /// </summary>
    public FoldedLines Finalize(DeliveryOutcome outcome) => tracker.Finalized(EndOffset, outcome);
}
