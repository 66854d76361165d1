namespace Clickstream.Contracts;

/// <summary>
/// The access-log line's field names, in the order both servers write them (the seed's eleven, then
/// <c>traceparent</c>). Every value is a string, <see cref="Empty"/> when there is none. The readers match
/// names as UTF-8 bytes (the <c>Utf8</c> members); <see cref="AccessLogEntry"/> writes them.
/// </summary>
public static class AccessLogFields
{
    public const string Remote = "remote";
    public const string Host = "host";
    public const string User = "user";
    public const string Time = "time";
    public const string Method = "method";
    public const string Path = "path";
    public const string Code = "code";
    public const string Size = "size";
    public const string Referer = "referer";
    public const string Agent = "agent";
    public const string Cookie = "cookie";
    public const string TraceParent = "traceparent";

    /// <summary>nginx's convention for a value that is not there.</summary>
    public const string Empty = "-";

    public static IReadOnlyList<string> All { get; } =
        [Remote, Host, User, Time, Method, Path, Code, Size, Referer, Agent, Cookie, TraceParent];

    public static ReadOnlySpan<byte> RemoteUtf8 => "remote"u8;
    public static ReadOnlySpan<byte> TimeUtf8 => "time"u8;
    public static ReadOnlySpan<byte> MethodUtf8 => "method"u8;
    public static ReadOnlySpan<byte> PathUtf8 => "path"u8;
    public static ReadOnlySpan<byte> CodeUtf8 => "code"u8;
    public static ReadOnlySpan<byte> RefererUtf8 => "referer"u8;
    public static ReadOnlySpan<byte> AgentUtf8 => "agent"u8;
    public static ReadOnlySpan<byte> CookieUtf8 => "cookie"u8;
    public static ReadOnlySpan<byte> TraceParentUtf8 => "traceparent"u8;
    public static ReadOnlySpan<byte> EmptyUtf8 => "-"u8;
}
