using System.Globalization;
using System.Text.Json;
using Clickstream.Contracts;

namespace Clickstream.Consumer.Stats;

/// <summary>The fields of an access-log line the aggregates use.</summary>
public sealed record ClickEvent(string? Remote, DateTimeOffset? Time, string? Method, string? Path, string? Code,
    string? Referer, string? Agent, string? Cookie)
{
    /// <summary>
    /// The visitor as <see cref="UniqueCounter.Hash"/> of the cookie, set by the parser straight from the
    /// line's bytes (the cookie string itself is then not created); null: derive it from <see cref="Cookie"/>.
    /// </summary>
    public ulong? VisitorHash { get; init; }

    /// <summary>
    /// Reads one access-log line; null when it is not a JSON object. With a <paramref name="pool"/>,
    /// repeating values share strings and the cookie is only hashed.
    /// </summary>
    public static ClickEvent? Parse(ReadOnlySpan<byte> json, StringPool? pool = null)
    {
        ulong? visitorHash = null;
        string? remote = null, method = null, path = null, code = null, referer = null, agent = null, cookie = null;
        DateTimeOffset? time = null;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                var escapedName = reader.ValueIsEscaped;
                reader.Read();
                if (reader.TokenType != JsonTokenType.String || escapedName)
                {
                    reader.Skip();
                    continue;
                }

                switch (name)
                {
                    case var n when n.SequenceEqual(AccessLogFields.RemoteUtf8): remote = reader.GetString(); break;
                    case var n when n.SequenceEqual(AccessLogFields.TimeUtf8):
                        time = reader.ValueIsEscaped ? ParseTime(System.Text.Encoding.UTF8.GetBytes(reader.GetString()!)) : ParseTime(reader.ValueSpan);
                        break;
                    case var n when n.SequenceEqual(AccessLogFields.MethodUtf8): method = pool?.Get(ref reader) ?? reader.GetString(); break;
                    case var n when n.SequenceEqual(AccessLogFields.PathUtf8): path = pool?.Get(ref reader) ?? reader.GetString(); break;
                    case var n when n.SequenceEqual(AccessLogFields.CodeUtf8): code = pool?.Get(ref reader) ?? reader.GetString(); break;
                    case var n when n.SequenceEqual(AccessLogFields.RefererUtf8): referer = pool?.Get(ref reader) ?? reader.GetString(); break;
                    case var n when n.SequenceEqual(AccessLogFields.AgentUtf8): agent = pool?.Get(ref reader) ?? reader.GetString(); break;
                    case var n when n.SequenceEqual(AccessLogFields.CookieUtf8):
                        if (pool is not null && !reader.ValueIsEscaped && !reader.HasValueSequence)
                        {
                            visitorHash = reader.ValueSpan is { Length: > 0 } c && !c.SequenceEqual(AccessLogFields.EmptyUtf8) ? UniqueCounter.Hash(c) : null;
                        }
                        else
                        {
                            cookie = reader.GetString();
                        }

                        break;
                }
            }

            return reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0
                ? new ClickEvent(remote, time, method, path, code, referer, agent, cookie) { VisitorHash = visitorHash }
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// ISO 8601 with offset, with or without fractional seconds (<c>2026-11-27T15:56:36.123+00:00</c>):
    /// the fixed layout the pixel and nginx write is read digit by digit; anything else goes to the general parser.
    /// </summary>
    internal static DateTimeOffset? ParseTime(ReadOnlySpan<byte> s)
    {
        if (s.Length >= 25 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':'
            && Digits(s, 0, 4, out var year) && Digits(s, 5, 2, out var month) && Digits(s, 8, 2, out var day)
            && Digits(s, 11, 2, out var hour) && Digits(s, 14, 2, out var minute) && Digits(s, 17, 2, out var second))
        {
            var i = 19;
            long fractionTicks = 0;
            if (s[i] == '.')
            {
                var scale = TimeSpan.TicksPerSecond;
                for (i++; i < s.Length && s[i] >= '0' && s[i] <= '9'; i++)
                {
                    scale /= 10;
                    fractionTicks += (s[i] - '0') * scale;
                }
            }

            if (s.Length == i + 6 && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':'
                && Digits(s, i + 1, 2, out var offsetHours) && Digits(s, i + 4, 2, out var offsetMinutes)
                && year >= 1 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month) && hour < 24 && minute < 60 && second < 60
                && offsetMinutes < 60 && (offsetHours * 60) + offsetMinutes <= 14 * 60)
            {
                var offset = new TimeSpan(offsetHours, offsetMinutes, 0);
                return new DateTimeOffset(year, month, day, hour, minute, second, s[i] == '-' ? -offset : offset).AddTicks(fractionTicks);
            }
        }

        return DateTimeOffset.TryParse(System.Text.Encoding.UTF8.GetString(s), CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;
    }

    private static bool Digits(ReadOnlySpan<byte> s, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            if (s[i] < '0' || s[i] > '9')
            {
                return false;
            }

            value = (value * 10) + (s[i] - '0');
        }

        return true;
    }
}
