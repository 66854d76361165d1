using Clickstream.Contracts;

namespace Clickstream.Consumer.Stats;

/// <summary>The fields of an access-log line the aggregates use.</summary>
public sealed record ClickEvent(string? Remote, DateTimeOffset? Time, string? Method, string? Path, string? Code,
    string? Referer, string? Agent, string? Cookie)
{
    /// <summary>
    /// The visitor as <see cref="UniqueCounter.Hash"/> of the cookie, set by the parser straight from bytes (the
    /// message key, or the line's cookie; the cookie string itself is then not created); null: derive it from
    /// <see cref="Cookie"/>, or without one the cookieless id.
    /// </summary>
    public ulong? VisitorHash { get; init; }

    /// <summary>
    /// Reads one access-log line (<see cref="AccessLogReader"/>); null when it is not a JSON object. With a
    /// <paramref name="pool"/>, repeating values share strings and the cookie is only hashed. A
    /// <paramref name="visitorKey"/> (the message key: the shipper sets it to the cookie, and sends none for
    /// <c>-</c>) is the visitor and the line's cookie is not read; without one the line's cookie is used, as a
    /// producer other than the shipper may leave the key out.
    /// </summary>
    public static ClickEvent? Parse(ReadOnlySpan<byte> json, StringPool? pool = null, ReadOnlySpan<byte> visitorKey = default)
    {
        ulong? visitorHash = visitorKey.IsEmpty || visitorKey.SequenceEqual(AccessLogFields.EmptyUtf8) ? null : UniqueCounter.Hash(visitorKey);
        string? remote = null, method = null, path = null, code = null, referer = null, agent = null, cookie = null;
        DateTimeOffset? time = null;
        var line = new AccessLogReader(json);
        while (line.Read())
        {
            var name = line.Name;
            switch (name.Length)
            {
                case 4 when name.SequenceEqual(AccessLogFields.TimeUtf8): time = AccessLogTime.Parse(line.GetUtf8()); break;
                case 4 when name.SequenceEqual(AccessLogFields.PathUtf8): path = Text(ref line, pool); break;
                case 4 when name.SequenceEqual(AccessLogFields.CodeUtf8): code = Text(ref line, pool); break;
                case 5 when name.SequenceEqual(AccessLogFields.AgentUtf8): agent = Text(ref line, pool); break;
                case 6 when name.SequenceEqual(AccessLogFields.RemoteUtf8): remote = line.GetString(); break;
                case 6 when name.SequenceEqual(AccessLogFields.MethodUtf8): method = Text(ref line, pool); break;
                case 6 when name.SequenceEqual(AccessLogFields.CookieUtf8) && visitorHash is null:
                    if (pool is not null && !line.ValueIsEscaped)
                    {
                        visitorHash = line.Value is { Length: > 0 } c && !c.SequenceEqual(AccessLogFields.EmptyUtf8) ? UniqueCounter.Hash(c) : null;
                    }
                    else
                    {
                        cookie = line.GetString();
                    }

                    break;
                case 7 when name.SequenceEqual(AccessLogFields.RefererUtf8): referer = Text(ref line, pool); break;
            }
        }

        return line.IsValid ? new ClickEvent(remote, time, method, path, code, referer, agent, cookie) { VisitorHash = visitorHash } : null;
    }

    private static string Text(ref AccessLogReader line, StringPool? pool) =>
        pool is null || line.ValueIsEscaped ? line.GetString() : pool.Get(line.Value);
}
