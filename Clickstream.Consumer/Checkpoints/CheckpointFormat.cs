using System.Buffers.Binary;
using System.IO.Hashing;

namespace Clickstream.Consumer.Checkpoints;

/// <summary>
/// The frame around a checkpoint's payload: magic <c>CLKSTATE</c>, format version (int32), payload length
/// (int64), the payload, then its XxHash64. A truncated, partial or altered file fails the length or the
/// hash before anything is loaded from it. The version changes whenever the payload's layout does; an
/// older consumer refuses a newer checkpoint instead of misreading it, a newer one reads the older layouts.
/// Version 2 added what was counted before the current topic began. Version 3: keys of top tables written once and
/// then referred to by number, bucket counters and sketches as varints, top tables as bounded heavy-hitter counters,
/// no history of its own for the all-sites view (merged from the sites'), open sessions plus the visitors seen before.
/// </summary>
public static class CheckpointFormat
{
    public const int Version = 3;
    public const int OldestReadable = 1;
    public const string Prefix = "state-";
    public const string Suffix = ".ckpt";
    private static ReadOnlySpan<byte> Magic => "CLKSTATE"u8;
    private const int HeaderSize = 8 + 4 + 8;

    public static string NameOf(long sequence) => $"{Prefix}{sequence:D12}{Suffix}";

    public static long? SequenceOf(string name) =>
        name.StartsWith(Prefix, StringComparison.Ordinal) && name.EndsWith(Suffix, StringComparison.Ordinal)
            && long.TryParse(name.AsSpan(Prefix.Length, name.Length - Prefix.Length - Suffix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sequence)
            ? sequence
            : null;

    /// <summary>Writes the payload through <paramref name="write"/> and frames it.</summary>
    public static byte[] Encode(Action<CheckpointWriter> write, int sizeHint)
    {
        using var buffer = new MemoryStream(sizeHint + HeaderSize + 8);
        return Encode(buffer, write).ToArray();
    }

    /// <summary>
    /// Frames the payload into <paramref name="buffer"/> (emptied first, kept by the caller from one checkpoint to the
    /// next, so a capture reuses one large buffer instead of growing and copying a new one each time); the frame is
    /// the buffer's content until its next use.
    /// </summary>
    public static ReadOnlyMemory<byte> Encode(MemoryStream buffer, Action<CheckpointWriter> write)
    {
        buffer.SetLength(0);
        buffer.Write(Magic);
        buffer.Write(stackalloc byte[HeaderSize - 8]);
        using (var writer = new CheckpointWriter(buffer))
        {
            write(writer);
        }

        var payloadLength = buffer.Length - HeaderSize;
        Span<byte> hash = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(hash, XxHash64.HashToUInt64(buffer.GetBuffer().AsSpan(HeaderSize, (int)payloadLength)));
        buffer.Write(hash);
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.Span[8..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.Span[12..], payloadLength);
        return bytes;
    }

    /// <summary>The payload, or null with the reason it cannot be trusted.</summary>
    public static ReadOnlyMemory<byte>? Decode(byte[] bytes, out string? problem) => Decode(bytes, out problem, out _);

    public static ReadOnlyMemory<byte>? Decode(byte[] bytes, out string? problem, out int version)
    {
        problem = null;
        version = 0;
        if (bytes.Length < HeaderSize + 8 || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
        {
            problem = "not a checkpoint (too short or wrong magic)";
            return null;
        }

        version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (version is < OldestReadable or > Version)
        {
            problem = $"format version {version}, this build reads {OldestReadable} to {Version}";
            return null;
        }

        var length = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(12));
        if (length != bytes.Length - HeaderSize - 8)
        {
            problem = $"payload of {bytes.Length - HeaderSize - 8} bytes, the header says {length} (partial write)";
            return null;
        }

        var payload = bytes.AsMemory(HeaderSize, (int)length);
        if (XxHash64.HashToUInt64(payload.Span) != BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(bytes.Length - 8)))
        {
            problem = "hash mismatch (altered or torn)";
            return null;
        }

        return payload;
    }
}
