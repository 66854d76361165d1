using System.Net;
using System.Net.Sockets;
using Clickstream.Contracts;

namespace Clickstream.Pixel.Hits;

/// <summary>
/// Who the client is: the peer address, or the last <c>X-Forwarded-For</c> address when the peer is a trusted proxy
/// (what nginx's realip module does with <c>real_ip_recursive off</c>), optionally truncated to /24 or /48.
/// </summary>
public sealed class ClientAddress
{
    private readonly IPNetwork[] _trusted;
    private readonly bool _truncate;

    public ClientAddress(PixelOptions options)
    {
        _trusted = [.. options.TrustedProxies.Select(ParseNetwork)];
        _truncate = options.TruncateClientIp;
    }

    public static IPNetwork ParseNetwork(string value) =>
        IPNetwork.TryParse(value, out var network) ? network
        : IPAddress.TryParse(value, out var address) ? new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)
        : throw new FormatException($"Pixel:TrustedProxies: '{value}' is neither an address nor a CIDR range.");

    public bool IsTrusted(IPAddress? peer)
    {
        if (peer is null || _trusted.Length == 0)
        {
            return false;
        }

        peer = Normalize(peer);
        foreach (var network in _trusted)
        {
            if (network.Contains(peer))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The address to log, as text.</summary>
    public string? Resolve(IPAddress? peer, bool trusted, string? forwardedFor)
    {
        if (peer is null)
        {
            return null;
        }

        var client = Normalize(peer);
        if (trusted && LastForwarded(forwardedFor) is { } forwarded)
        {
            client = forwarded;
        }

        return (_truncate ? ClientAddresses.Truncate(client) : client).ToString();
    }

    private static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>The last comma-separated entry, if it is a plain IPv4 dotted quad or an IPv6 address; else none.</summary>
    public static IPAddress? LastForwarded(string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return null;
        }

        var last = header.AsSpan();
        var comma = last.LastIndexOf(',');
        last = last[(comma + 1)..].Trim(' ');
        if (last.Contains(':'))
        {
            return IPAddress.TryParse(last, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6 && v6.ScopeId == 0 && !last.Contains('%')
                ? Normalize(v6)
                : null;
        }

        // IPAddress.TryParse also takes "1", "1.2" or hex parts; nginx only takes four decimal parts.
        Span<byte> parts = stackalloc byte[4];
        var part = 0;
        var value = -1;
        foreach (var c in last)
        {
            if (c == '.')
            {
                if (value < 0 || part == 3)
                {
                    return null;
                }

                parts[part++] = (byte)value;
                value = -1;
            }
            else if (char.IsAsciiDigit(c))
            {
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (value > 255)
                {
                    return null;
                }
            }
            else
            {
                return null;
            }
        }

        if (part != 3 || value < 0)
        {
            return null;
        }

        parts[3] = (byte)value;
        return new IPAddress(parts);
    }
}
