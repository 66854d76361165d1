using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Clickstream.Pixel.Tests;

/// <summary>An HTTP/1.1 exchange over a bare socket: any bytes out, the response exactly as it came back.</summary>
public static class RawHttp
{
    /// <param name="Count">Responses in the stream: bytes after an early end of the headers are a second request.</param>
    public sealed record Response(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body, int Count)
    {
        public string? Header(string name) =>
            Headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault();
    }

    /// <summary>A request whose chars are its bytes (Latin-1): "\u00ff" sends the byte 0xFF.</summary>
    public static byte[] Request(string method, string target, params (string Name, string Value)[] headers) =>
        Request("pixel.test", method, target, headers);

    public static byte[] Request(string host, string method, string target, params (string Name, string Value)[] headers)
    {
        var text = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: {host}\r\n");
        foreach (var (name, value) in headers)
        {
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        text.Append("Connection: close\r\n\r\n");
        return Encoding.Latin1.GetBytes(text.ToString());
    }

    /// <summary>Sends, reads to the end; null when the server closed without answering.</summary>
    public static async Task<Response?> SendAsync(int port, byte[] request, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        using var received = new MemoryStream();
        try
        {
            // No half-close: Kestrel takes the client's FIN as an aborted request.
            await socket.SendAsync(request, SocketFlags.None, cts.Token);
        }
        catch (SocketException)
        {
            // The server may answer (and close) before it read everything, as with an oversized header.
        }

        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException)
        {
            // A reset after the answer: keep what came.
        }

        return Parse(received.ToArray());
    }

    private static Response? Parse(byte[] bytes)
    {
        if (bytes.Length > 0 && !bytes.AsSpan().StartsWith("HTTP/"u8))
        {
            // A request line without a version is HTTP/0.9 to nginx: the answer is the bare body, no status line.
            return new Response(0, [], bytes, 1);
        }

        var end = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        if (bytes.Length < 12 || end < 0)
        {
            return null;
        }

        var lines = Encoding.Latin1.GetString(bytes, 0, end).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1]);
        var headers = lines.Skip(1)
            .Select(l => new KeyValuePair<string, string>(l[..l.IndexOf(':')], l[(l.IndexOf(':') + 1)..].Trim()))
            .ToList();
        var count = System.Text.RegularExpressions.Regex.Count(Encoding.Latin1.GetString(bytes), @"HTTP/1\.[01] \d\d\d ");
        return new Response(status, headers, bytes[(end + 4)..], count);
    }
}
