using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Clickstream.Pixel.AccessLog;

/// <summary>
/// One hit, formatted as the access-log line that is the contract between pixel and shipper:
/// <c>{"remote","host","user","time","method","path","code","size","referer","agent","cookie"}</c>,
/// every value a string, <c>-</c> when empty (nginx's convention, as in the seed).
/// </summary>
public readonly record struct AccessLogEntry(
    string? Remote, string? Host, string? User, DateTimeOffset Time, string Method, string? Path,
    int Code, long Size, string? Referer, string? Agent, string? Cookie)
{
    public static readonly string[] FieldNames = ["remote", "host", "user", "time", "method", "path", "code", "size", "referer", "agent", "cookie"];

    // Relaxed: non-ASCII text stays readable as nginx writes it; quotes, backslashes and control
    // characters are still escaped, so no value can end the line or the object.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>Writes the line, newline included, to <paramref name="output"/>.</summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = t_writer ??= new Utf8JsonWriter(output, WriterOptions);
        writer.Reset(output);
        writer.WriteStartObject();
        writer.WriteString("remote"u8, OrDash(Remote));
        writer.WriteString("host"u8, OrDash(Host));
        writer.WriteString("user"u8, OrDash(User));
        Span<char> time = stackalloc char[32];
        Time.TryFormat(time, out var timeLength, "yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);
        writer.WriteString("time"u8, time[..timeLength]);
        writer.WriteString("method"u8, OrDash(Method));
        writer.WriteString("path"u8, OrDash(Path));
        Span<char> number = stackalloc char[20];
        Code.TryFormat(number, out var codeLength, provider: System.Globalization.CultureInfo.InvariantCulture);
        writer.WriteString("code"u8, number[..codeLength]);
        Size.TryFormat(number, out var sizeLength, provider: System.Globalization.CultureInfo.InvariantCulture);
        writer.WriteString("size"u8, number[..sizeLength]);
        writer.WriteString("referer"u8, OrDash(Referer));
        writer.WriteString("agent"u8, OrDash(Agent));
        writer.WriteString("cookie"u8, OrDash(Cookie));
        writer.WriteEndObject();
        writer.Flush();
        output.Write("\n"u8);
    }

    private static string OrDash(string? value) => string.IsNullOrEmpty(value) ? "-" : value;
}
