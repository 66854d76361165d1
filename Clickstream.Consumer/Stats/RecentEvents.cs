using System.Net;

namespace Clickstream.Consumer.Stats;

/// <summary>One applied hit as <c>/api/events/recent</c> shows it.</summary>
public sealed record RecentEvent(DateTimeOffset? Time, string? Remote, string? Method, string? Path, string? Code,
    string? Referer, string? Agent, int Partition, long Offset);

/// <summary>The last <c>capacity</c> applied hits, newest first on read.</summary>
public sealed class RecentEvents(int capacity = 200)
{
    private readonly Lock _gate = new();
    private readonly RecentEvent[] _ring = new RecentEvent[capacity];
    private long _written;

    public int Capacity => capacity;

    public void Add(RecentEvent e)
    {
        lock (_gate)
        {
            _ring[_written % capacity] = e;
            _written++;
        }
    }

    public IReadOnlyList<RecentEvent> Last(int n, bool showRemoteAddresses)
    {
        lock (_gate)
        {
            n = (int)Math.Min(Math.Clamp(n, 0, capacity), _written);
            var result = new List<RecentEvent>(n);
            for (var i = 1; i <= n; i++)
            {
                var e = _ring[(_written - i) % capacity];
                result.Add(showRemoteAddresses ? e : e with { Remote = Anonymize(e.Remote) });
            }

            return result;
        }
    }

    /// <summary>IPv4 cut to its /24, IPv6 to its /48 (as analytics tools anonymise); anything else hidden.</summary>
    public static string? Anonymize(string? remote)
    {
        if (string.IsNullOrEmpty(remote) || remote == "-")
        {
            return remote;
        }

        if (!IPAddress.TryParse(remote, out var ip))
        {
            return "(hidden)";
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        var bytes = ip.GetAddressBytes();
        var keep = bytes.Length == 4 ? 3 : 6;
        bytes.AsSpan(keep).Clear();
        return new IPAddress(bytes).ToString();
    }
}
