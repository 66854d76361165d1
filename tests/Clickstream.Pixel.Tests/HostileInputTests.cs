using System.Text;
using Clickstream.Contracts;
using Clickstream.Tests;
using Xunit.Abstractions;

namespace Clickstream.Pixel.Tests;

/// <summary>
/// 10,000 generated requests (random bytes in path, query, User-Agent, Referer, Cookie; quotes, newlines, invalid
/// UTF-8, 16 KiB headers, 9 KiB URLs) against each server: every line is strict JSON with exactly the contract's fields,
/// and there is one line per answered request.
/// </summary>
public sealed class HostileInputTests(ITestOutputHelper output)
{
    private const int Requests = 10_000;

    [Fact]
    public async Task Every_answered_hostile_request_is_one_valid_line_on_both_servers()
    {
        using var pair = new PixelPair();
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        foreach (var (name, port, log) in new[] { ("kestrel", pair.KestrelPort, pair.KestrelLog), ("nginx", pair.NginxPort, pair.NginxLog) })
        {
            var random = new Random(seed);
            // Each request names itself in Host (logged as "host"), so lines and answers can be matched per request.
            var requests = Enumerable.Range(0, Requests).Select(i => Generate(random, $"h{i}")).ToArray();
            var answers = new int[Requests];
            var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
            await Parallel.ForEachAsync(Enumerable.Range(0, Requests), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            {
                if (await RawHttp.SendAsync(port, requests[i]) is { } response)
                {
                    answers[i] = response.Count;
                    statuses.AddOrUpdate(response.Status, 1, (_, n) => n + 1);
                }
            });
            var answered = answers.Sum();

            // One request after the flood: each server logs in the order it answers, so once the sentinel's line is in
            // the file every earlier line is, and an extra line would be too (no pause to wait for stragglers).
            Assert.NotNull(await RawHttp.SendAsync(port, RawHttp.Request("sentinel", "GET", "/i?sentinel")));
            List<byte[]> lines = [];
            Assert.True(await TestEnvironment.EventuallyAsync(() => (lines = LogLines.Read(log)).Any(IsSentinel), TimeSpan.FromSeconds(30)),
                $"{name}: the sentinel request was not logged");
            lines = lines.Where(l => !IsSentinel(l)).ToList();
            var logged = lines.Select(l => System.Text.RegularExpressions.Regex.Match(Encoding.Latin1.GetString(l), $"\"{AccessLogFields.Code}\":\"(\\d+)\"").Groups[1].Value)
                .GroupBy(c => c).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}");
            output.WriteLine($"{name}: {answered} answered ({string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}), {lines.Count} lines ({string.Join(", ", logged)})");

            Assert.True(answered > Requests * 9 / 10, $"{name}: only {answered} of {Requests} answered");
            var perHost = lines.Select(l => System.Text.RegularExpressions.Regex.Match(Encoding.Latin1.GetString(l), $"\"{AccessLogFields.Host}\":\"h(\\d+)\"").Groups[1].Value)
                .Where(h => h.Length > 0).GroupBy(h => int.Parse(h)).ToDictionary(g => g.Key, g => g.Count());
            var mismatches = Enumerable.Range(0, Requests).Where(i => perHost.ContainsKey(i) && perHost[i] != answers[i]).Take(3)
                .Select(i => $"#{i}: {answers[i]} answers, {perHost.GetValueOrDefault(i)} lines: {Encoding.Latin1.GetString(requests[i]).Replace("\r", "\\r").Replace("\n", "\\n")[..Math.Min(300, requests[i].Length)]}");
            Assert.True(answered == lines.Count, $"{name}: {answered} answers, {lines.Count} lines; {string.Join(" | ", mismatches)}");
            foreach (var line in lines)
            {
                try
                {
                    LogLines.Parse(line);
                }
                catch (Exception ex)
                {
                    Assert.Fail($"{name}: not a valid line ({ex.Message}): {Encoding.Latin1.GetString(line)}");
                }
            }
        }
    }

    private static bool IsSentinel(byte[] line) => Encoding.Latin1.GetString(line).Contains($"\"{AccessLogFields.Host}\":\"sentinel\"", StringComparison.Ordinal);

    private static byte[] Generate(Random random, string host)
    {
        var kind = random.Next(100);
        var path = random.Next(4) switch
        {
            0 => "/i",
            1 => "/i.gif",
            2 => "/" + Bytes(random, 20, path: true),
            _ => "/i?" + Bytes(random, 60, path: true),
        };
        if (kind < 3)
        {
            path = "/i?long=" + new string('x', 9000);
        }

        var headers = new List<(string, string)>
        {
            ("User-Agent", Bytes(random, 80, path: false)),
            ("Referer", Bytes(random, 80, path: false)),
            ("Cookie", random.Next(3) == 0 ? "uid=" + Bytes(random, 32, path: false) : Bytes(random, 40, path: false)),
        };
        if (kind is >= 3 and < 6)
        {
            headers.Add(("User-Agent", new string('u', 16 * 1024)));
        }

        if (kind is >= 6 and < 9)
        {
            headers.Add(("DNT", "1"));
        }

        return RawHttp.Request(host, random.Next(10) == 0 ? "HEAD" : "GET", path, [.. headers]);
    }

    /// <summary>Random bytes as Latin-1 chars: quotes, backslashes, control bytes, high bytes (invalid UTF-8 alone).</summary>
    private static string Bytes(Random random, int max, bool path)
    {
        var length = random.Next(1, max);
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = random.Next(8) switch
            {
                0 => '"',
                1 => '\\',
                2 => (char)random.Next(0x01, 0x20),
                3 => (char)random.Next(0x80, 0x100),
                4 => path ? '%' : '\'',
                _ => (char)random.Next(0x21, 0x7F),
            };
            // A newline or a NUL would end the header early; a space would end the request target. Both servers then
            // answer 400 for the rest, which is part of the test, but not on every request.
            if (chars[i] is '\r' or '\n' or '\0' || (path && chars[i] == ' '))
            {
                chars[i] = random.Next(20) == 0 ? chars[i] : 'x';
            }
        }

        return new string(chars);
    }
}
