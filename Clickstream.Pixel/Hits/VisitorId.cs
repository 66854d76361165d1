using System.Security.Cryptography;

namespace Clickstream.Pixel.Hits;

/// <summary>A visitor id: 128 random bits as 32 lowercase hex digits, as nginx's userid module writes them.</summary>
public static class VisitorId
{
    public const int Length = 32;

    public static string New()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Only ids we could have issued are kept; anything else is replaced.</summary>
    public static bool IsValid(ReadOnlySpan<char> value)
    {
        if (value.Length != Length)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
