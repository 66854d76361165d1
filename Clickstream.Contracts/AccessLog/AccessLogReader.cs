using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Clickstream.Contracts;

/// <summary>
/// Reads the string members of one access-log line, on its bytes. What both servers write (a flat object of
/// string members, no white space, no escapes: <c>{"k":"v",…}</c>) is checked in one vectorized pass and then
/// walked without a JSON reader; anything else (escapes, white space, numbers, nesting) goes through
/// <see cref="Utf8JsonReader"/>, which reads any JSON object the same way and tells a broken one. Members whose
/// value is not a string, and members with an escaped name (no writer escapes a field name), are skipped.
/// </summary>
/// <example><code>
/// var line = new AccessLogReader(bytes);
/// while (line.Read()) { if (line.Name.SequenceEqual(AccessLogFields.PathUtf8)) path = line.GetString(); }
/// if (!line.IsValid) { /* not one JSON object */ }
/// </code></example>
public ref struct AccessLogReader
{
    private readonly ReadOnlySpan<byte> _line;
    private readonly bool _flat;
    private Utf8JsonReader _json;
    private int _position;
    private bool _ended;
    private bool _valid;

    public AccessLogReader(ReadOnlySpan<byte> line)
    {
        _line = line;
        _flat = IsFlat(line);
        _position = 1;
        if (!_flat)
        {
            _json = new Utf8JsonReader(line);
            try
            {
                if (!_json.Read() || _json.TokenType != JsonTokenType.StartObject)
                {
                    (_ended, Problem) = (true, "not a JSON object");
                }
            }
            catch (JsonException ex)
            {
                (_ended, Problem) = (true, $"invalid JSON: {ex.Message}");
            }
        }
    }

    /// <summary>The current member's name (UTF-8, never escaped).</summary>
    public ReadOnlySpan<byte> Name { get; private set; }

    /// <summary>The current member's value as written: JSON-escaped when <see cref="ValueIsEscaped"/>.</summary>
    public ReadOnlySpan<byte> Value { get; private set; }

    public bool ValueIsEscaped { get; private set; }

    /// <summary>After <see cref="Read"/> returned false: the line was one JSON object (white space after it allowed).</summary>
    public readonly bool IsValid => _ended && _valid;

    /// <summary>Why the line is not one JSON object (for a dead letter), once <see cref="Read"/> returned false; null when it is.</summary>
    public string? Problem { get; private set; }

    /// <summary>Moves to the next member with a string value; false at the end of the object or where the line stops being JSON.</summary>
    public bool Read()
    {
        if (_ended)
        {
            return false;
        }

        return _flat ? ReadFlat() : ReadJson();
    }

    /// <summary>The current value, unescaped.</summary>
    public readonly string GetString() => ValueIsEscaped ? _json.GetString()! : Encoding.UTF8.GetString(Value);

    /// <summary>The current value, unescaped, as UTF-8 (the line's own bytes when it has no escapes).</summary>
    public readonly ReadOnlySpan<byte> GetUtf8() => ValueIsEscaped ? Encoding.UTF8.GetBytes(_json.GetString()!) : Value;

    private bool ReadFlat()
    {
        // Checked by IsFlat: "name":"value" then ',' or the closing '}'.
        if (_position >= _line.Length)
        {
            (_ended, _valid) = (true, true);
            return false;
        }

        var name = _line[(_position + 1)..];
        name = name[..name.IndexOf((byte)'"')];
        _position += name.Length + 3; // "name":
        var value = _line[(_position + 1)..];
        value = value[..value.IndexOf((byte)'"')];
        _position += value.Length + 3; // "value" and the ',' or '}'
        Name = name;
        Value = value;
        ValueIsEscaped = false;
        return true;
    }

    private bool ReadJson()
    {
        try
        {
            while (_json.Read())
            {
                if (_json.TokenType == JsonTokenType.EndObject && _json.CurrentDepth == 0)
                {
                    _ended = true;
                    // Anything after the object (a second object on the same line) is not one hit.
                    var consumed = (int)_json.BytesConsumed;
                    _valid = _line[consumed..].Trim(" \t\r\n"u8).IsEmpty;
                    Problem = _valid ? null : "data after the JSON object";
                    return false;
                }

                if (_json.TokenType != JsonTokenType.PropertyName)
                {
                    return Broken("not a JSON object");
                }

                var name = _json.ValueSpan;
                var escapedName = _json.ValueIsEscaped;
                if (!_json.Read())
                {
                    break;
                }

                if (_json.TokenType != JsonTokenType.String || escapedName)
                {
                    _json.Skip();
                    continue;
                }

                Name = name;
                Value = _json.ValueSpan;
                ValueIsEscaped = _json.ValueIsEscaped;
                return true;
            }
        }
        catch (JsonException ex)
        {
            return Broken($"invalid JSON: {ex.Message}");
        }

        return Broken("truncated JSON object");
    }

    private bool Broken(string problem)
    {
        (_ended, _valid, Problem) = (true, false, problem);
        return false;
    }

    /// <summary>One flat object of string members, no white space, no escapes or control characters.</summary>
    public static bool IsFlat(ReadOnlySpan<byte> json)
    {
        if (json.Length < 2 || json[0] != (byte)'{' || json[^1] != (byte)'}')
        {
            return false;
        }

        var position = 1;
        while (true)
        {
            if (!SkipString(json, ref position) || position >= json.Length || json[position++] != (byte)':'
                || !SkipString(json, ref position) || position >= json.Length)
            {
                return false;
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

    private static bool SkipString(ReadOnlySpan<byte> json, ref int position)
    {
        if (position >= json.Length || json[position] != (byte)'"')
        {
            return false;
        }

        var end = json[(position + 1)..].IndexOfAny(StringStops);
        if (end < 0 || json[position + 1 + end] != (byte)'"')
        {
            return false;
        }

        position += end + 2;
        return true;
    }

    // A quote ends a string; a backslash or a control character sends the line to the JSON reader.
    private static readonly SearchValues<byte> StringStops = SearchValues.Create(
        [(byte)'"', (byte)'\\', .. Enumerable.Range(0, 0x20).Select(b => (byte)b)]);
}
