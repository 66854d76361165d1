namespace Clickstream.Contracts.Analytics;

/// <summary>
/// The parts of an absolute http(s) URL that analytics needs, split on spans (no <see cref="Uri"/>: it
/// allocates and normalises far more than a page address needs, and the hot path runs it per event).
/// </summary>
public readonly record struct PageUrl(string Host, string Path, string Query)
{
    /// <summary>The host without a leading <c>www.</c>.</summary>
    public string Domain => HostWithoutWww(Host);

    /// <summary>
    /// <c>scheme://[user@]host[:port][/path][?query][#fragment]</c> with scheme http or https and a host of
    /// letters, digits, <c>-</c>, <c>.</c>, <c>_</c> (or a bracketed IPv6 address); host lower-cased, path
    /// <c>/</c> when empty, fragment dropped.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> url, out PageUrl page)
    {
        page = default;
        int rest;
        if (url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            rest = 8;
        }
        else if (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            rest = 7;
        }
        else
        {
            return false;
        }

        url = url[rest..];
        var hash = url.IndexOf('#');
        if (hash >= 0)
        {
            url = url[..hash];
        }

        var authorityEnd = url.IndexOfAny('/', '?');
        var authority = authorityEnd < 0 ? url : url[..authorityEnd];
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            authority = authority[(at + 1)..];
        }

        ReadOnlySpan<char> host;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            if (close < 0)
            {
                return false;
            }

            host = authority[..(close + 1)];
        }
        else
        {
            var colon = authority.IndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            if (host.IsEmpty || host.ContainsAnyExcept(HostChars))
            {
                return false;
            }
        }

        var afterAuthority = authorityEnd < 0 ? [] : url[authorityEnd..];
        var question = afterAuthority.IndexOf('?');
        var path = question < 0 ? afterAuthority : afterAuthority[..question];
        var query = question < 0 ? [] : afterAuthority[(question + 1)..];
        page = new PageUrl(
            host.ToString().ToLowerInvariant(),
            path.IsEmpty ? "/" : Cut(path).ToString(),
            query.ToString());
        return true;
    }

    public static string HostWithoutWww(string host) =>
        host.StartsWith("www.", StringComparison.Ordinal) ? host[4..] : host;

    private static ReadOnlySpan<char> Cut(ReadOnlySpan<char> value) =>
        value.Length > TrackerProtocol.MaxValueLength ? value[..TrackerProtocol.MaxValueLength] : value;

    private static readonly System.Buffers.SearchValues<char> HostChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._");
}
