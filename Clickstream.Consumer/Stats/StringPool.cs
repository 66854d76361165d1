using System.Text;

namespace Clickstream.Consumer.Stats;

/// <summary>
/// Reuses the strings of JSON values that repeat (user agents, paths, referrers, methods, codes): a
/// hit costs a UTF-8 decode into the stack and a lookup instead of a new string. Bounded; beyond it
/// values are allocated as usual. Not thread-safe: one per parsing thread.
/// </summary>
public sealed class StringPool(int maxStrings = 20_000)
{
    private const int MaxLength = 512;
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);

    public int Count => _strings.Count;

    /// <summary>The string of unescaped UTF-8 bytes.</summary>
    public string Get(ReadOnlySpan<byte> raw)
    {
        if (raw.Length > MaxLength)
        {
            return Encoding.UTF8.GetString(raw);
        }

        Span<char> chars = stackalloc char[MaxLength];
        var length = Encoding.UTF8.GetChars(raw, chars);
        var lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(chars[..length], out var pooled))
        {
            return pooled;
        }

        var value = new string(chars[..length]);
        if (_strings.Count < maxStrings)
        {
            _strings[value] = value;
        }

        return value;
    }
}
