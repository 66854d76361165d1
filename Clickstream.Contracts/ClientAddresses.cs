using System.Net;

namespace Clickstream.Contracts;

/// <summary>
/// How a client address is shortened where the full one is not wanted (the pixel's <c>Pixel:TruncateClientIp</c>,
/// the dashboard's recent events): IPv4 to its /24, IPv6 to its /48, as analytics tools anonymise. The nginx
/// template does the same with regexes (<c>NginxConfig</c>), checked against this by the pixel's contract tests.
/// </summary>
public static class ClientAddresses
{
    /// <summary>The address with everything after the /24 (IPv4, including IPv4-mapped IPv6) or the /48 (IPv6) zeroed.</summary>
    public static IPAddress Truncate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var length);
        bytes = bytes[..length];
        bytes[(length == 4 ? 3 : 6)..].Clear();
        return new IPAddress(bytes);
    }
}
