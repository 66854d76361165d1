using System.Security.Cryptography;

namespace Clickstream.Pixel.Hits;

/// <summary>A visitor id: 128 random bits as 32 lowercase hex digits, as nginx's userid module writes them.</summary>
public static class VisitorId
{
    public const int Length = 32;

    private const int BatchBytes = 4096;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_used;

    /// <summary>
    /// 16 bytes from the OS CSPRNG, drawn 4 KiB at a time per thread (one call per 256 ids instead of one per id);
    /// each byte is handed out once.
    /// </summary>
    public static string New()
    {
        var random = t_random;
        if (random is null || t_used + 16 > BatchBytes)
        {
            random = t_random ??= new byte[BatchBytes];
            RandomNumberGenerator.Fill(random);
            t_used = 0;
        }

        var id = Convert.ToHexStringLower(random, t_used, 16);
        t_used += 16;
        return id;
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
