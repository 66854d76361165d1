using System.Globalization;
using System.Text.Json;

namespace Clickstream.Consumer.Stats;

/// <summary>The fields of an access-log line the aggregates use.</summary>
public sealed record ClickEvent(string? Remote, DateTimeOffset? Time, string? Method, string? Path, string? Code,
    string? Referer, string? Agent, string? Cookie)
{
    /// <summary>Reads one access-log line; null when it is not a JSON object.</summary>
    public static ClickEvent? Parse(ReadOnlySpan<byte> json)
    {
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
                    case var n when n.SequenceEqual("remote"u8): remote = reader.GetString(); break;
                    case var n when n.SequenceEqual("time"u8):
                        time = DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;
                        break;
                    case var n when n.SequenceEqual("method"u8): method = reader.GetString(); break;
                    case var n when n.SequenceEqual("path"u8): path = reader.GetString(); break;
                    case var n when n.SequenceEqual("code"u8): code = reader.GetString(); break;
                    case var n when n.SequenceEqual("referer"u8): referer = reader.GetString(); break;
                    case var n when n.SequenceEqual("agent"u8): agent = reader.GetString(); break;
                    case var n when n.SequenceEqual("cookie"u8): cookie = reader.GetString(); break;
                }
            }

            return reader.TokenType == JsonTokenType.EndObject
                ? new ClickEvent(remote, time, method, path, code, referer, agent, cookie)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
