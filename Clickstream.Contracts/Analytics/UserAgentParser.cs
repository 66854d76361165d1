namespace Clickstream.Contracts.Analytics;

public sealed record UserAgentInfo(string Browser, string OperatingSystem, string Device, bool IsBot);

/// <summary>
/// A small table-driven User-Agent classifier: the first row whose token occurs in the string wins.
/// Order matters (Edge and Opera say "Chrome", Chrome says "Safari", Android says "Linux"). No
/// maintained .NET UA library is on our package list; this covers the families a dashboard shows.
/// </summary>
public static class UserAgentParser
{
    private static readonly string[] BotTokens =
    [
        "bot", "crawl", "spider", "slurp", "curl/", "wget/", "python-requests", "python-urllib", "go-http-client",
        "java/", "okhttp", "libwww", "httpclient", "headlesschrome", "phantomjs", "lighthouse", "facebookexternalhit",
        "kcat", "wrk", "apachebench", "k6/", "monitor", "preview",
    ];

    private static readonly (string Token, string Name)[] Browsers =
    [
        ("edg/", "Edge"), ("edge/", "Edge"), ("edga/", "Edge"), ("edgios/", "Edge"),
        ("opr/", "Opera"), ("opera", "Opera"),
        ("samsungbrowser/", "Samsung Internet"), ("yabrowser/", "Yandex"), ("vivaldi/", "Vivaldi"),
        ("firefox/", "Firefox"), ("fxios/", "Firefox"),
        ("crios/", "Chrome"), ("chromium/", "Chromium"), ("chrome/", "Chrome"),
        ("msie ", "Internet Explorer"), ("trident/", "Internet Explorer"),
        ("safari/", "Safari"),
        ("curl/", "curl"), ("wget/", "Wget"), ("python", "Python"), ("go-http-client", "Go"),
    ];

    private static readonly (string Token, string Name)[] Systems =
    [
        ("windows phone", "Windows Phone"), ("windows", "Windows"),
        ("iphone", "iOS"), ("ipad", "iOS"), ("ipod", "iOS"),
        ("android", "Android"), ("cros", "ChromeOS"),
        ("mac os x", "macOS"), ("macintosh", "macOS"),
        ("linux", "Linux"), ("freebsd", "FreeBSD"),
    ];

    public static UserAgentInfo Parse(string? agent)
    {
        if (string.IsNullOrWhiteSpace(agent) || agent == "-")
        {
            return new UserAgentInfo("Unknown", "Unknown", "Unknown", false);
        }

        var ua = agent.ToLowerInvariant();
        var isBot = BotTokens.Any(ua.Contains);
        var browser = First(Browsers, ua);
        var os = First(Systems, ua);
        var device = isBot ? "Bot"
            : ua.Contains("ipad", StringComparison.Ordinal) || ua.Contains("tablet", StringComparison.Ordinal)
                || (ua.Contains("android", StringComparison.Ordinal) && !ua.Contains("mobile", StringComparison.Ordinal)) ? "Tablet"
            : ua.Contains("mobi", StringComparison.Ordinal) || ua.Contains("iphone", StringComparison.Ordinal)
                || ua.Contains("ipod", StringComparison.Ordinal) || ua.Contains("phone", StringComparison.Ordinal) ? "Phone"
            : "Desktop";
        return new UserAgentInfo(browser, os, device, isBot);
    }

    private static string First((string Token, string Name)[] table, string ua)
    {
        foreach (var (token, name) in table)
        {
            if (ua.Contains(token, StringComparison.Ordinal))
            {
                return name;
            }
        }

        return "Other";
    }
}
