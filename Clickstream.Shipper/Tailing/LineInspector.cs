using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Clickstream.Contracts;

namespace Clickstream.Shipper.Tailing;

public enum LineVerdict
{
    /// <summary>A JSON object, sent as it is.</summary>
    Valid,

    /// <summary>A JSON object once its invalid UTF-8 was replaced by U+FFFD; sent repaired.</summary>
    Repaired,

    /// <summary>Nothing but white space: not a hit, skipped and counted.</summary>
    Empty,

    /// <summary>Not a JSON object: dead-lettered.</summary>
    Invalid,
}

/// <summary>
/// The outcome of inspecting a line; <see cref="Value"/> is the bytes to send, <see cref="TraceParent"/>
/// the line's own W3C <c>traceparent</c> field when present and well-formed.
/// </summary>
public readonly record struct InspectedLine(LineVerdict Verdict, byte[]? Value, byte[]? Key, string? Reason, byte[]? TraceParent = null);

/// <summary>
/// Checks that a line is one JSON object, repairs invalid UTF-8 (nginx's <c>escape=json</c> writes raw
/// header bytes through), and finds the <c>cookie</c> field, which becomes the message key.
/// </summary>
public static class LineInspector
{
    private static readonly byte[] Dash = AccessLogFields.EmptyUtf8.ToArray();

    public static InspectedLine Inspect(ReadOnlySpan<byte> line)
    {
        line = TrimEnd(line);
        if (line.IsEmpty)
        {
            return new InspectedLine(LineVerdict.Empty, null, null, null);
        }

        var verdict = LineVerdict.Valid;
        byte[] value;
        if (Utf8.IsValid(line))
        {
            value = line.ToArray();
        }
        else
        {
            // Encoding.UTF8 replaces each invalid sequence with U+FFFD.
            value = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(line));
            verdict = LineVerdict.Repaired;
        }

        var reason = TryScanFlat(value, out var key, out var traceParent) ? null : Scan(value, out key, out traceParent);
        return reason is null
            ? new InspectedLine(verdict, value, key, null, traceParent)
            : new InspectedLine(LineVerdict.Invalid, null, null, reason);
    }

    /// <summary>
    /// The fast path for what loggers write: one flat object of string members, no white space, no escapes
    /// (<c>{"k":"v",…}</c>). Anything else (escapes, numbers, nesting, spaces, errors) returns false and
    /// goes through <see cref="Utf8JsonReader"/>, which decides and explains.
    /// </summary>
    private static bool TryScanFlat(ReadOnlySpan<byte> json, out byte[]? key, out byte[]? traceParent)
    {
        key = null;
        traceParent = null;
        if (json.Length < 2 || json[0] != (byte)'{' || json[^1] != (byte)'}')
        {
            return false;
        }

        var position = 1;
        while (true)
        {
            if (!TryString(json, ref position, out var name) || position >= json.Length || json[position++] != (byte)':'
                || !TryString(json, ref position, out var value) || position >= json.Length)
            {
                return false;
            }

            if (name.SequenceEqual(AccessLogFields.CookieUtf8))
            {
                key = value.IsEmpty || value.SequenceEqual(Dash) ? null : value.ToArray();
            }
            else if (name.SequenceEqual(AccessLogFields.TraceParentUtf8))
            {
                traceParent = TraceParent.IsValid(value) ? value.ToArray() : null;
            }

            var next = json[position++];
            if (next == (byte)'}')
            {
                return position == json.Length;
            }

            if (next != (byte)',')
            {
                return false;
            }
        }
    }

    /// <summary>A string without escapes or control characters at <paramref name="position"/>; moves past its closing quote.</summary>
    private static bool TryString(ReadOnlySpan<byte> json, ref int position, out ReadOnlySpan<byte> content)
    {
        content = default;
        if (position >= json.Length || json[position] != (byte)'"')
        {
            return false;
        }

        var rest = json[(position + 1)..];
        var end = rest.IndexOfAny(StringStops);
        if (end < 0 || rest[end] != (byte)'"')
        {
            return false;
        }

        content = rest[..end];
        position += end + 2;
        return true;
    }

    // A quote ends a string; a backslash or a control character sends the line to the full reader.
    private static readonly SearchValues<byte> StringStops = SearchValues.Create(
        [(byte)'"', (byte)'\\', .. Enumerable.Range(0, 0x20).Select(b => (byte)b)]);

    /// <summary>Null when the line is one well-formed JSON object; else why not. One pass finds the cookie and the traceparent.</summary>
    private static string? Scan(ReadOnlySpan<byte> json, out byte[]? key, out byte[]? traceParent)
    {
        key = null;
        traceParent = null;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return "not a JSON object";
            }

            while (reader.Read())
            {
                if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals(AccessLogFields.CookieUtf8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        var cookie = reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan.ToArray();
                        // "-" means no visitor id (privacy signal or nginx without userid): spread such hits.
                        key = cookie.AsSpan().SequenceEqual(Dash) || cookie.Length == 0 ? null : cookie;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals(AccessLogFields.TraceParentUtf8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && TraceParent.IsValid(reader.ValueSpan))
                    {
                        traceParent = reader.ValueSpan.ToArray();
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.CurrentDepth == 0 && reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0)
            {
                return "truncated JSON object";
            }

            // Anything after the object (a second object on the same line) is not one hit.
            if (reader.BytesConsumed != json.Length && !json[(int)reader.BytesConsumed..].Trim(" \t"u8).IsEmpty)
            {
                return "data after the JSON object";
            }

            return null;
        }
        catch (JsonException ex)
        {
            return $"invalid JSON: {ex.Message}";
        }
    }

    private static ReadOnlySpan<byte> TrimEnd(ReadOnlySpan<byte> line) => line.TrimEnd(" \t\r"u8);
}
