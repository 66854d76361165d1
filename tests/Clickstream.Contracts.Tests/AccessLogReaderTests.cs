using System.Text;
using System.Text.Json;

namespace Clickstream.Contracts.Tests;

/// <summary>The byte reader of access-log lines reads what <see cref="Utf8JsonReader"/> reads, on the fast path and off it.</summary>
public sealed class AccessLogReaderTests
{
    [Theory]
    [InlineData("""{"remote":"1.2.3.4","path":"/i?a=1","cookie":"-"}""", true)]                      // what both servers write
    [InlineData("""{"agent":"say \"hi\"","path":"/caf\u00e9"}""", false)]                           // escapes
    [InlineData("""{ "path" : "/i" , "code":"200" }  """, false)]                                     // white space
    [InlineData("""{"size":43,"nested":{"path":"/no"},"list":["x"],"path":"/i","ok":true}""", false)] // other values skipped
    [InlineData("""{}""", false)]
    public void Reads_the_string_members_of_any_JSON_object(string text, bool flat)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Assert.Equal(flat, AccessLogReader.IsFlat(bytes));
        var line = new AccessLogReader(bytes);
        var members = new List<(string, string)>();
        while (line.Read())
        {
            members.Add((Encoding.UTF8.GetString(line.Name), line.GetString()));
            Assert.Equal(line.GetString(), Encoding.UTF8.GetString(line.GetUtf8()));
        }

        Assert.True(line.IsValid);
        Assert.Null(line.Problem);
        Assert.Equal(Expected(bytes), members);
    }

    [Theory]
    [InlineData("not json", "invalid JSON")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("""{"path":""", "invalid JSON")]
    [InlineData("""{"path":"/i"}{"path":"/j"}""", "data after the JSON object")]
    [InlineData("""{"path":"/i",}""", "invalid JSON")]
    [InlineData("""{"path":"/i" "code":"200"}""", "invalid JSON")]
    [InlineData("", "invalid JSON")]
    public void Anything_but_one_JSON_object_is_not_valid_and_says_why(string text, string problem)
    {
        var line = new AccessLogReader(Encoding.UTF8.GetBytes(text));
        while (line.Read())
        {
        }

        Assert.False(line.IsValid);
        Assert.StartsWith(problem, line.Problem);
    }

    [Theory]
    [InlineData("2026-11-27T15:56:36+00:00", "2026-11-27T15:56:36.0000000+00:00")]
    [InlineData("2026-11-27T15:56:36.123+00:00", "2026-11-27T15:56:36.1230000+00:00")]
    [InlineData("2026-11-27T15:56:36.1234567-05:30", "2026-11-27T15:56:36.1234567-05:30")]
    [InlineData("2020-11-16T08:31:47+01:00", "2020-11-16T08:31:47.0000000+01:00")]
    [InlineData("16/Nov/2020:08:31:47 +0000", null)]          // nginx's $time_local: not ISO, not guessed
    [InlineData("2026-11-27 15:56:36Z", "2026-11-27T15:56:36.0000000+00:00")] // the general parser's fallback
    [InlineData("2026-02-30T15:56:36+00:00", null)]
    [InlineData("2026-11-27T15:56:36+14:30", null)]
    [InlineData("-", null)]
    public void Times_read_back_as_written(string text, string? expected) =>
        Assert.Equal(expected, AccessLogTime.Parse(Encoding.UTF8.GetBytes(text))?.ToString("O", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void A_written_entry_reads_back_field_by_field()
    {
        var at = new DateTimeOffset(2026, 11, 27, 15, 56, 36, 123, TimeSpan.Zero);
        var entry = new AccessLogEntry("203.0.113.7", "-", at, "GET", "/i?x=\"q\"", 200, 43, "-", "agent\\1", "abc", null);
        var buffer = new byte[entry.MaxLength];
        var written = entry.Format(buffer);
        var line = new AccessLogReader(buffer.AsSpan(0, written).TrimEnd((byte)'\n'));
        var read = new Dictionary<string, string>();
        while (line.Read())
        {
            read[Encoding.UTF8.GetString(line.Name)] = line.GetString();
        }

        Assert.True(line.IsValid);
        Assert.Equal("/i?x=\"q\"", read[AccessLogFields.Path]);
        Assert.Equal("agent\\1", read[AccessLogFields.Agent]);
        Assert.Equal(at, AccessLogTime.Parse(Encoding.UTF8.GetBytes(read[AccessLogFields.Time])));
    }

    private static List<(string, string)> Expected(byte[] json)
    {
        var members = new List<(string, string)>();
        using var document = JsonDocument.Parse(json);
        foreach (var member in document.RootElement.EnumerateObject())
        {
            if (member.Value.ValueKind == JsonValueKind.String)
            {
                members.Add((member.Name, member.Value.GetString()!));
            }
        }

        return members;
    }
}
