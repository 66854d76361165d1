using System.Buffers;
using System.Diagnostics;

namespace Clickstream.Contracts;

/// <summary>
/// The W3C <c>traceparent</c> (version <c>00-</c>32 hex<c>-</c>16 hex<c>-</c>2 hex) that carries a hit's trace
/// in the access-log line and the Kafka header, read and written as bytes. <see cref="ActivityContext.TryParse(string, string, bool, out ActivityContext)"/>
/// needs a string, and the shipper reads every line's and the consumer every message's: this reads the bytes
/// straight into an <see cref="ActivityContext"/> and writes one without intermediate strings.
/// </summary>
public static class TraceParent
{
    /// <summary>The length of a version-00 traceparent.</summary>
    public const int Length = 55;

    private static readonly SearchValues<byte> LowerHex = SearchValues.Create("0123456789abcdef"u8);

    /// <summary>Version 00, lower-case hex, neither id all zeros (an invalid id per W3C).</summary>
    public static bool IsValid(ReadOnlySpan<byte> value)
    {
        if (value.Length != Length || value[0] != (byte)'0' || value[1] != (byte)'0' || value[2] != (byte)'-' || value[35] != (byte)'-' || value[52] != (byte)'-')
        {
            return false;
        }

        var traceId = value.Slice(3, 32);
        var spanId = value.Slice(36, 16);
        return traceId.IndexOfAnyExcept(LowerHex) < 0 && spanId.IndexOfAnyExcept(LowerHex) < 0 && value.Slice(53, 2).IndexOfAnyExcept(LowerHex) < 0
            && traceId.IndexOfAnyExcept((byte)'0') >= 0 && spanId.IndexOfAnyExcept((byte)'0') >= 0;
    }

    /// <summary>The remote parent a traceparent names; false (and <c>default</c>) when it is not <see cref="IsValid"/>.</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, out ActivityContext context)
    {
        if (!IsValid(value))
        {
            context = default;
            return false;
        }

        context = new ActivityContext(ActivityTraceId.CreateFromUtf8String(value.Slice(3, 32)), ActivitySpanId.CreateFromUtf8String(value.Slice(36, 16)),
            (ActivityTraceFlags)((HexValue(value[53]) * 16) + HexValue(value[54])), isRemote: true);
        return true;
    }

    /// <summary>The traceparent of a span, as the bytes of a header or a log field.</summary>
    public static byte[] Format(ActivityTraceId traceId, ActivitySpanId spanId, ActivityTraceFlags flags)
    {
        var header = new byte[Length];
        Span<byte> raw = stackalloc byte[16];
        "00-"u8.CopyTo(header);
        traceId.CopyTo(raw);
        Hex(raw, header.AsSpan(3, 32));
        header[35] = (byte)'-';
        spanId.CopyTo(raw[..8]);
        Hex(raw[..8], header.AsSpan(36, 16));
        header[52] = (byte)'-';
        Hex([(byte)flags], header.AsSpan(53, 2));
        return header;
    }

    private static void Hex(ReadOnlySpan<byte> bytes, Span<byte> destination)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            destination[2 * i] = (byte)"0123456789abcdef"[bytes[i] >> 4];
            destination[(2 * i) + 1] = (byte)"0123456789abcdef"[bytes[i] & 0xf];
        }
    }

    private static int HexValue(byte c) => c <= '9' ? c - '0' : c - 'a' + 10;
}
