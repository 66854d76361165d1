using System.Text.Json;
using Clickstream.Contracts;
using Clickstream.Contracts.Nginx;
using Clickstream.Tests;

namespace Clickstream.Pixel.Tests;

/// <summary>The Kestrel pixel and nginx with the same settings, each on a real socket, each with its own access log.</summary>
public class PixelPair : IDisposable
{
    private readonly PixelFactory _kestrel;
    private readonly NginxServer _nginx;

    public PixelPair()
        : this(null, null)
    {
    }

    protected PixelPair(IReadOnlyDictionary<string, string?>? kestrelSettings, Func<NginxPixelSettings, NginxPixelSettings>? nginxSettings)
    {
        _kestrel = new PixelFactory(kestrelSettings);
        KestrelPort = _kestrel.StartKestrel();
        _nginx = new NginxServer(nginxSettings);
    }

    public int KestrelPort { get; }

    public int NginxPort => _nginx.Port;

    public string KestrelLog => _kestrel.LogFile;

    public string NginxLog => _nginx.LogFile;

    /// <summary>Sends the same bytes to both; returns each answer with the one line it logged.</summary>
    public async Task<(Exchange Ours, Exchange Nginx)> ExchangeAsync(byte[] request)
    {
        var ours = ExchangeAsync(KestrelPort, KestrelLog, request);
        var nginx = ExchangeAsync(NginxPort, NginxLog, request);
        return (await ours, await nginx);
    }

    private static async Task<Exchange> ExchangeAsync(int port, string log, byte[] request)
    {
        var before = LogLines.Read(log).Count;
        var response = await RawHttp.SendAsync(port, request);
        Assert.NotNull(response);
        List<byte[]> lines = [];
        Assert.True(await TestEnvironment.EventuallyAsync(() => (lines = LogLines.Read(log)).Count > before, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20)), $"no log line on port {port}");
        return new Exchange(response, LogLines.Parse(lines[before]));
    }

    public void Dispose()
    {
        _nginx.Dispose();
        _kestrel.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed record Exchange(RawHttp.Response Response, IReadOnlyList<KeyValuePair<string, string>> Line)
{
    public string this[string field] => Line.Single(f => f.Key == field).Value;
}

/// <summary>Trusts 127.0.0.1 as a proxy, truncates addresses, echoes one origin only.</summary>
public sealed class ProxiedPixelPair() : PixelPair(
    new Dictionary<string, string?>
    {
        ["Pixel:TrustedProxies:0"] = "127.0.0.1/32",
        ["Pixel:TruncateClientIp"] = "true",
        ["Pixel:AllowedOrigins:0"] = "https://shop.example",
    },
    s => s with { TrustedProxies = ["127.0.0.1/32"], TruncateClientIp = true, AllowedOrigins = ["https://shop.example"] });

internal static class LogLines
{
    public static List<byte[]> Read(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var bytes = copy.ToArray();
        var lines = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == '\n')
            {
                lines.Add(bytes[start..i]);
                start = i + 1;
            }
        }

        return lines;
    }

    /// <summary>Strict: valid UTF-8 JSON, one object, every value a string, field names in the contract's order.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(byte[] line)
    {
        using var json = JsonDocument.Parse(line);
        var fields = json.RootElement.EnumerateObject()
            .Select(p => new KeyValuePair<string, string>(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw new FormatException($"{p.Name} is not a string")))
            .ToList();
        Assert.Equal(AccessLogEntry.FieldNames, fields.Select(f => f.Key));
        return fields;
    }
}
