using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Clickstream.Contracts.Analytics;

/// <summary>
/// Visitor ids for hits without a cookie (Sec-GPC/DNT honoured, or cookies blocked), Plausible's way: a keyed
/// hash (HMAC-SHA256, first 64 bits) of site, client address and user agent, under a random key per UTC day
/// that lives only in this object's memory. Within a day one browser on one address is one visitor; across
/// days it cannot be followed, and once a day's key is dropped nobody can recompute that day's ids (the address
/// cannot be recovered from them). Keys are kept for today and yesterday (hits still arriving after midnight);
/// a key for an older day (a replay) lives until the next rotation. Thread-safe.
/// </summary>
public sealed class CookielessVisitorIds(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, byte[]> _keys = [];
    private long _today = long.MinValue;

    /// <summary>The id of (site, address, agent) for a hit at <paramref name="at"/> (its UTC day picks the key).</summary>
    public ulong Id(string site, string? remote, string? agent, DateTimeOffset at)
    {
        var key = KeyOf(at.UtcTicks / TimeSpan.TicksPerDay);
        var input = site.Length + (remote?.Length ?? 0) + (agent?.Length ?? 0) + 2;
        var max = Encoding.UTF8.GetMaxByteCount(input);
        var rented = max > 1024 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> bytes = rented ?? stackalloc byte[1024];
        try
        {
            var n = Encoding.UTF8.GetBytes(site, bytes);
            bytes[n++] = 0;
            n += Encoding.UTF8.GetBytes(remote ?? "", bytes[n..]);
            bytes[n++] = 0;
            n += Encoding.UTF8.GetBytes(agent ?? "", bytes[n..]);
            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(key, bytes[..n], mac);
            return BinaryPrimitives.ReadUInt64LittleEndian(mac);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>How many day keys are held (today, yesterday, and any older day a replay asked for since the last rotation).</summary>
    public int KeysHeld
    {
        get
        {
            lock (_gate)
            {
                return _keys.Count;
            }
        }
    }

    private byte[] KeyOf(long day)
    {
        lock (_gate)
        {
            var today = time.GetUtcNow().UtcTicks / TimeSpan.TicksPerDay;
            if (today != _today)
            {
                _today = today;
                foreach (var old in _keys.Keys.Where(d => d < today - 1).ToList())
                {
                    CryptographicOperations.ZeroMemory(_keys[old]);
                    _keys.Remove(old);
                }
            }

            if (!_keys.TryGetValue(day, out var key))
            {
                key = RandomNumberGenerator.GetBytes(32);
                _keys[day] = key;
            }

            return key;
        }
    }
}
