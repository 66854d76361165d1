using System.Buffers.Text;
using System.Text;

namespace Clickstream.Contracts;

/// <summary>
/// The <c>event-id</c> header's value, <c>device:inode:generation:offset</c>: where the source read a line, so the
/// same line read again (after a restart) gets the same id and the consumer drops the copy. The consumer compares
/// ids as opaque bytes; only the source makes them, and tools read the offset back.
/// </summary>
public static class EventIds
{
    /// <summary>The constant part of a file generation's event ids: <c>device:inode:generation:</c>.</summary>
    public static byte[] Prefix(string fileIdentity, long generation) => Encoding.ASCII.GetBytes($"{fileIdentity}:{generation}:");

    /// <summary><c>device:inode:generation:offset</c> in one allocation.</summary>
    public static byte[] For(byte[] prefix, long offset)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(offset, digits, out var written);
        var id = new byte[prefix.Length + written];
        prefix.CopyTo(id, 0);
        digits[..written].CopyTo(id.AsSpan(prefix.Length));
        return id;
    }

    public static byte[] For(string fileIdentity, long generation, long offset) => For(Prefix(fileIdentity, generation), offset);

    /// <summary>The byte offset an id names (its last field), or null when it is not one of ours.</summary>
    public static long? Offset(string id) =>
        id.LastIndexOf(':') is var at and >= 0 && long.TryParse(id.AsSpan(at + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var offset)
            ? offset
            : null;
}
