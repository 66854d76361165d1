using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Clickstream.Contracts;

/// <summary>
/// One answered request, formatted as the access-log line that is the contract between pixel and shipper:
/// the <see cref="AccessLogFields"/> in their order, every value a string, <c>-</c> when empty (nginx's
/// convention, as in the seed). The Kestrel pixel writes it; the nginx template writes the same bytes.
/// </summary>
/// <remarks>
/// The bytes are exactly what nginx's <c>log_format escape=json</c> writes, so both servers produce the same line:
/// <c>"</c> and <c>\</c> backslash-escaped, control bytes as <c>\n \r \t \b \f</c> or <c>\u00XX</c>, everything else raw.
/// Header values arrive as Latin-1 strings (one char per received byte, see <c>AddPixel</c>); a value whose bytes are
/// not valid UTF-8 is logged as a single U+FFFD, which the nginx template does with a <c>(*UTF)</c> regex map, so a
/// line is always valid UTF-8 JSON.
/// </remarks>
public readonly record struct AccessLogEntry(
    string? Remote, string? Host, DateTimeOffset Time, string? Method, string? Path,
    int Code, long Size, string? Referer, string? Agent, string? Cookie, string? TraceParent)
{
    /// <summary>The names <see cref="Format"/> writes, in its order.</summary>
    public static IReadOnlyList<string> FieldNames => AccessLogFields.All;

    /// <summary>The time format of both servers: ISO 8601, milliseconds, offset (nginx: <c>$time_iso8601</c> + <c>$msec</c>).</summary>
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffzzz";

    private static ReadOnlySpan<byte> Replacement => "\uFFFD"u8;

    /// <summary>The bytes escape=json escapes: quote, backslash, and the control bytes.</summary>
    private static readonly SearchValues<byte> Escaped = SearchValues.Create(
        [(byte)'"', (byte)'\\', 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
         0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F]);

    /// <summary>An upper bound of the formatted length, for renting the buffer.</summary>
    public int MaxLength =>
        256 + 6 * (Len(Remote) + Len(Host) + Len(Method) + Len(Path) + Len(Referer) + Len(Agent) + Len(Cookie) + Len(TraceParent));

    /// <summary>Writes the line, newline included, into <paramref name="output"/> (at least <see cref="MaxLength"/> long).</summary>
    public int Format(Span<byte> output)
    {
        var w = new LineWriter(output);
        w.Raw("{\"remote\":\""u8);
        w.Text(Remote);
        w.Raw("\",\"host\":\""u8);
        w.Text(Host);
        // Never filled: the pixel does no authentication (nginx's $remote_user would echo a client-chosen name).
        w.Raw("\",\"user\":\"-\",\"time\":\""u8);
        w.Time(Time);
        w.Raw("\",\"method\":\""u8);
        w.Text(Method);
        w.Raw("\",\"path\":\""u8);
        w.Text(Path);
        w.Raw("\",\"code\":\""u8);
        w.Number(Code);
        w.Raw("\",\"size\":\""u8);
        w.Number(Size);
        w.Raw("\",\"referer\":\""u8);
        w.Text(Referer);
        w.Raw("\",\"agent\":\""u8);
        w.Text(Agent);
        w.Raw("\",\"cookie\":\""u8);
        w.Text(Cookie);
        w.Raw("\",\"traceparent\":\""u8);
        w.Text(TraceParent);
        w.Raw("\"}\n"u8);
        return w.Position;
    }

    /// <summary>The line as text, without its newline: for tools, tests and benchmarks that build sample lines.</summary>
    public string ToLine()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxLength);
        try
        {
            var length = Format(buffer);
            return Encoding.UTF8.GetString(buffer, 0, length - 1);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int Len(string? value) => value?.Length ?? 1;

    private ref struct LineWriter(Span<byte> output)
    {
        private readonly Span<byte> _output = output;

        public int Position { get; private set; }

        public void Raw(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_output[Position..]);
            Position += bytes.Length;
        }

        public void Number(long value)
        {
            value.TryFormat(_output[Position..], out var written, provider: CultureInfo.InvariantCulture);
            Position += written;
        }

        /// <summary><see cref="TimeFormat"/>, written by hand: the custom-format parser showed up in the profile.</summary>
        public void Time(DateTimeOffset time)
        {
            var t = time.DateTime;
            var o = _output[Position..(Position + 29)];
            Digits(o[..4], t.Year);
            o[4] = (byte)'-';
            Digits(o.Slice(5, 2), t.Month);
            o[7] = (byte)'-';
            Digits(o.Slice(8, 2), t.Day);
            o[10] = (byte)'T';
            Digits(o.Slice(11, 2), t.Hour);
            o[13] = (byte)':';
            Digits(o.Slice(14, 2), t.Minute);
            o[16] = (byte)':';
            Digits(o.Slice(17, 2), t.Second);
            o[19] = (byte)'.';
            Digits(o.Slice(20, 3), t.Millisecond);
            var offset = (int)time.Offset.TotalMinutes;
            o[23] = offset < 0 ? (byte)'-' : (byte)'+';
            offset = Math.Abs(offset);
            Digits(o.Slice(24, 2), offset / 60);
            o[26] = (byte)':';
            Digits(o.Slice(27, 2), offset % 60);
            Position += 29;
        }

        private static void Digits(Span<byte> output, int value)
        {
            for (var i = output.Length - 1; i >= 0; i--)
            {
                output[i] = (byte)('0' + (value % 10));
                value /= 10;
            }
        }

        /// <summary>A value whose chars are the received bytes (Latin-1 decoding), escaped as nginx's escape=json does.</summary>
        public void Text(string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                _output[Position++] = (byte)'-';
                return;
            }

            // Narrow to bytes first, straight into the output (vectorized); then validate and escape in place.
            var chars = value.AsSpan();
            if (chars.ContainsAnyExceptInRange('\0', '\u00FF'))
            {
                // Not a received byte (a value decoded by someone else); treat as invalid, like nginx's regex check.
                Raw(Replacement);
                return;
            }

            var start = Position;
            var bytes = _output.Slice(start, chars.Length);
            Encoding.Latin1.GetBytes(chars, bytes);
            if (!Ascii.IsValid(bytes) && !Utf8.IsValid(bytes))
            {
                Raw(Replacement);
                return;
            }

            var first = bytes.IndexOfAny(Escaped);
            if (first < 0)
            {
                Position += bytes.Length;
                return;
            }

            var extra = 0;
            foreach (var b in bytes[first..])
            {
                if (b == '"' || b == '\\')
                {
                    extra += 1;
                }
                else if (b < 0x20)
                {
                    extra += b is (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)'\b' or (byte)'\f' ? 1 : 5;
                }
            }

            if (extra == 0)
            {
                Position += bytes.Length;
                return;
            }

            // Escape back to front so the unescaped bytes are never overwritten before they are read.
            var read = start + bytes.Length - 1;
            var write = start + bytes.Length + extra - 1;
            while (read >= start)
            {
                var b = _output[read--];
                if (b >= 0x20)
                {
                    _output[write--] = b;
                    if (b == '"' || b == '\\')
                    {
                        _output[write--] = (byte)'\\';
                    }

                    continue;
                }

                var letter = b switch
                {
                    (byte)'\n' => (byte)'n',
                    (byte)'\r' => (byte)'r',
                    (byte)'\t' => (byte)'t',
                    (byte)'\b' => (byte)'b',
                    (byte)'\f' => (byte)'f',
                    _ => (byte)0,
                };
                if (letter != 0)
                {
                    _output[write--] = letter;
                }
                else
                {
                    var low = b & 0xF;
                    _output[write--] = (byte)(low < 10 ? '0' + low : 'A' + low - 10);
                    _output[write--] = (byte)('0' + (b >> 4));
                    _output[write--] = (byte)'0';
                    _output[write--] = (byte)'0';
                    _output[write--] = (byte)'u';
                }

                _output[write--] = (byte)'\\';
            }

            Position = start + bytes.Length + extra;
        }
    }
}
