using System.Net;
using Clickstream.Contracts;

namespace Clickstream.Consumer.Stats;

/// <summary>One applied hit as <c>/api/events/recent</c> shows it.</summary>
public sealed record RecentEvent(DateTimeOffset? Time, string? Remote, string? Method, string? Path, string? Code,
    string? Referer, string? Agent, int Partition, long Offset);

/// <summary>
/// The last <c>capacity</c> applied hits, newest first on read. The raw lines are kept (the client
/// allocated them anyway) and parsed only when someone asks, so the consume path pays nothing.
/// </summary>
public sealed class RecentEvents(int capacity = 200)
{
    private readonly Lock _gate = new();
    private readonly (byte[] Line, int Partition, long Offset)[] _ring = new (byte[], int, long)[capacity];
    private long _written;

    public int Capacity => capacity;

    public void Add(byte[] line, int partition, long offset)
    {
        lock (_gate)
        {
            _ring[_written % capacity] = (line, partition, offset);
            _written++;
        }
    }

    public IReadOnlyList<RecentEvent> Last(int n, bool showRemoteAddresses)
    {
        (byte[] Line, int Partition, long Offset)[] lines;
        lock (_gate)
        {
            n = (int)Math.Min(Math.Clamp(n, 0, capacity), _written);
            lines = new (byte[], int, long)[n];
            for (var i = 1; i <= n; i++)
            {
                lines[i - 1] = _ring[(_written - i) % capacity];
            }
        }

        var result = new List<RecentEvent>(n);
        foreach (var (line, partition, offset) in lines)
        {
            if (ClickEvent.Parse(line) is { } c)
            {
                result.Add(new RecentEvent(c.Time, showRemoteAddresses ? c.Remote : Anonymize(c.Remote), c.Method, c.Path, c.Code,
                    c.Referer, c.Agent, partition, offset));
            }
        }

        return result;
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

        return ClientAddresses.Truncate(ip).ToString();
    }
}
