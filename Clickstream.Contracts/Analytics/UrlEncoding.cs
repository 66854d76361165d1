using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Clickstream.Contracts.Analytics;

/// <summary>Percent-decoding (with <c>+</c> as space, as forms and trackers send it) and base64url, on spans, never throwing.</summary>
public static class UrlEncoding
{
    /// <summary>
    /// Decodes <paramref name="raw"/>. False when a <c>%</c> is not followed by two hex digits or the bytes are
    /// not UTF-8; <paramref name="value"/> is then the raw text, as is.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<char> raw, out string value)
    {
        if (raw.IndexOfAny('%', '+') < 0)
        {
            value = new string(raw);
            return true;
        }

        // Each char becomes at most 3 UTF-8 bytes; a %XX triple becomes one.
        var max = raw.Length * 3;
        var rented = max > 1024 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> bytes = rented ?? stackalloc byte[1024];
        try
        {
            var n = 0;
            for (var i = 0; i < raw.Length; i++)
            {
                var c = raw[i];
                if (c == '%')
                {
                    if (i + 2 >= raw.Length || !IsHex(raw[i + 1]) || !IsHex(raw[i + 2]))
                    {
                        value = new string(raw);
                        return false;
                    }

                    bytes[n++] = (byte)((Hex(raw[i + 1]) << 4) | Hex(raw[i + 2]));
                    i += 2;
                }
                else if (c == '+')
                {
                    bytes[n++] = (byte)' ';
                }
                else if (c < 0x80)
                {
                    bytes[n++] = (byte)c;
                }
                else
                {
                    // Already-decoded text (the log line's JSON carries it as is): keep it, as UTF-8.
                    var end = i + 1;
                    while (end < raw.Length && raw[end] >= 0x80)
                    {
                        end++;
                    }

                    n += Encoding.UTF8.GetBytes(raw[i..end], bytes[n..]);
                    i = end - 1;
                }
            }

            // UTF-16 never needs more chars than UTF-8 had bytes.
            var charBuffer = n > 1024 ? new char[n] : null;
            Span<char> chars = charBuffer ?? stackalloc char[1024];
            if (Utf8.ToUtf16(bytes[..n], chars, out _, out var written, replaceInvalidSequences: false) != OperationStatus.Done)
            {
                value = new string(raw);
                return false;
            }

            value = new string(chars[..written]);
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Base64url (RFC 4648 §5, padding optional; standard <c>+</c>/<c>/</c> tolerated) to UTF-8 text; false when it is not.</summary>
    public static bool TryDecodeBase64Url(ReadOnlySpan<char> encoded, out string? text)
    {
        text = null;
        var padded = encoded.TrimEnd('=');
        if (padded.Length % 4 == 1)
        {
            return false;
        }

        var length = padded.Length + ((4 - (padded.Length % 4)) % 4);
        var rented = ArrayPool<char>.Shared.Rent(length);
        var bytes = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            for (var i = 0; i < padded.Length; i++)
            {
                rented[i] = padded[i] switch { '-' => '+', '_' => '/', var c => c };
            }

            rented.AsSpan(padded.Length, length - padded.Length).Fill('=');
            if (!Convert.TryFromBase64Chars(rented.AsSpan(0, length), bytes, out var written))
            {
                return false;
            }

            var chars = new char[written];
            if (Utf8.ToUtf16(bytes.AsSpan(0, written), chars, out _, out var charCount, replaceInvalidSequences: false) != OperationStatus.Done)
            {
                return false;
            }

            text = new string(chars, 0, charCount);
            return true;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Base64url without padding of UTF-8 text (what Snowplow trackers send in <c>ue_px</c> and <c>cx</c>).</summary>
    public static string EncodeBase64Url(string text) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int Hex(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
