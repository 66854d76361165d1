namespace Clickstream.Contracts.Analytics;

/// <summary>What kind of place a named source is; decides its channel.</summary>
public enum SourceCategory
{
    None,
    Search,
    Social,
    Video,
    Email,
}

/// <summary>A known referrer: its display name and category.</summary>
public sealed record NamedSource(string Name, SourceCategory Category);

/// <summary>
/// Where a visit came from, the way analytics tools name it: the referrer's host through a table of
/// well-known search engines, social networks, video sites and webmail hosts, else the host without
/// <c>www.</c>. Table rows are tried in order (webmail before its search engine: <c>mail.google.com</c>
/// is Gmail, not Google). A row is a domain (matches it and its subdomains) or a brand ending in
/// <c>.*</c> (matches that label before any country or generic suffix: <c>google.co.uk</c>).
/// </summary>
public static class Sources
{
    public const string Direct = "Direct";

    private static readonly NamedSource Webmail = new("Webmail", SourceCategory.Email);

    private static readonly (string Pattern, string Name, SourceCategory Category)[] Table =
    [
        ("mail.google.com", "Gmail", SourceCategory.Email),
        ("inbox.google.com", "Gmail", SourceCategory.Email),
        ("mail.yahoo.com", "Yahoo Mail", SourceCategory.Email),
        ("mail.yahoo.co.jp", "Yahoo Mail", SourceCategory.Email),
        ("outlook.live.com", "Outlook", SourceCategory.Email),
        ("outlook.office.com", "Outlook", SourceCategory.Email),
        ("outlook.office365.com", "Outlook", SourceCategory.Email),
        ("mail.proton.me", "Proton Mail", SourceCategory.Email),
        ("mail.protonmail.com", "Proton Mail", SourceCategory.Email),
        ("mail.yandex.ru", "Yandex Mail", SourceCategory.Email),
        ("e.mail.ru", "Mail.ru", SourceCategory.Email),
        ("mail.aol.com", "AOL Mail", SourceCategory.Email),
        ("icloud.com", "iCloud Mail", SourceCategory.Email),
        ("mail.zoho.com", "Zoho Mail", SourceCategory.Email),
        ("gmx.*", "GMX", SourceCategory.Email),
        ("web.de", "WEB.DE", SourceCategory.Email),
        ("fastmail.com", "Fastmail", SourceCategory.Email),
        ("news.google.com", "Google News", SourceCategory.Search),
        ("google.*", "Google", SourceCategory.Search),
        ("bing.com", "Bing", SourceCategory.Search),
        ("duckduckgo.com", "DuckDuckGo", SourceCategory.Search),
        ("yahoo.*", "Yahoo", SourceCategory.Search),
        ("yandex.*", "Yandex", SourceCategory.Search),
        ("ya.ru", "Yandex", SourceCategory.Search),
        ("baidu.com", "Baidu", SourceCategory.Search),
        ("ecosia.org", "Ecosia", SourceCategory.Search),
        ("search.brave.com", "Brave Search", SourceCategory.Search),
        ("startpage.com", "Startpage", SourceCategory.Search),
        ("qwant.com", "Qwant", SourceCategory.Search),
        ("kagi.com", "Kagi", SourceCategory.Search),
        ("naver.com", "Naver", SourceCategory.Search),
        ("seznam.cz", "Seznam", SourceCategory.Search),
        ("chatgpt.com", "ChatGPT", SourceCategory.Search),
        ("perplexity.ai", "Perplexity", SourceCategory.Search),
        ("facebook.com", "Facebook", SourceCategory.Social),
        ("fb.com", "Facebook", SourceCategory.Social),
        ("fb.me", "Facebook", SourceCategory.Social),
        ("messenger.com", "Facebook", SourceCategory.Social),
        ("instagram.com", "Instagram", SourceCategory.Social),
        ("t.co", "X", SourceCategory.Social),
        ("twitter.com", "X", SourceCategory.Social),
        ("x.com", "X", SourceCategory.Social),
        ("linkedin.com", "LinkedIn", SourceCategory.Social),
        ("lnkd.in", "LinkedIn", SourceCategory.Social),
        ("reddit.com", "Reddit", SourceCategory.Social),
        ("redd.it", "Reddit", SourceCategory.Social),
        ("news.ycombinator.com", "Hacker News", SourceCategory.Social),
        ("pinterest.*", "Pinterest", SourceCategory.Social),
        ("pin.it", "Pinterest", SourceCategory.Social),
        ("tiktok.com", "TikTok", SourceCategory.Social),
        ("threads.net", "Threads", SourceCategory.Social),
        ("bsky.app", "Bluesky", SourceCategory.Social),
        ("mastodon.social", "Mastodon", SourceCategory.Social),
        ("vk.com", "VK", SourceCategory.Social),
        ("weibo.com", "Weibo", SourceCategory.Social),
        ("quora.com", "Quora", SourceCategory.Social),
        ("discord.com", "Discord", SourceCategory.Social),
        ("slack.com", "Slack", SourceCategory.Social),
        ("telegram.org", "Telegram", SourceCategory.Social),
        ("t.me", "Telegram", SourceCategory.Social),
        ("whatsapp.com", "WhatsApp", SourceCategory.Social),
        ("github.com", "GitHub", SourceCategory.None),
        ("stackoverflow.com", "Stack Overflow", SourceCategory.None),
        ("youtube.com", "YouTube", SourceCategory.Video),
        ("youtu.be", "YouTube", SourceCategory.Video),
        ("vimeo.com", "Vimeo", SourceCategory.Video),
        ("twitch.tv", "Twitch", SourceCategory.Video),
        ("dailymotion.com", "Dailymotion", SourceCategory.Video),
    ];

    // utm_source values people write for the same places ("fb", "ig", "twitter", "newsletter").
    private static readonly Dictionary<string, NamedSource> ByName = BuildNames();

    /// <summary>The named source for a referrer host (lower-case), or null when the table has none.</summary>
    public static NamedSource? OfHost(string host)
    {
        if (host.StartsWith("webmail.", StringComparison.Ordinal) || host.StartsWith("roundcube.", StringComparison.Ordinal))
        {
            return Webmail; // a provider's or company's own webmail (Roundcube, Horde, SOGo, OWA behind webmail.)
        }

        foreach (var (pattern, name, category) in Table)
        {
            if (Matches(host, pattern))
            {
                return new NamedSource(name, category);
            }
        }

        return null;
    }

    /// <summary>A source as written in <c>utm_source</c> ("google", "Facebook", "fb", "newsletter"), matched case-insensitively.</summary>
    public static NamedSource? OfName(string source) => ByName.GetValueOrDefault(source.Trim());

    private static bool Matches(string host, string pattern)
    {
        if (pattern.EndsWith(".*", StringComparison.Ordinal))
        {
            // A brand: "google." at a label start, followed by a suffix of one or two short labels (com, co.uk, com.br).
            var brand = pattern.AsSpan(0, pattern.Length - 1); // "google."
            for (var start = 0; start < host.Length;)
            {
                if (host.AsSpan(start).StartsWith(brand, StringComparison.Ordinal))
                {
                    var suffix = host.AsSpan(start + brand.Length);
                    return IsPublicSuffixLike(suffix);
                }

                var dot = host.IndexOf('.', start);
                if (dot < 0)
                {
                    return false;
                }

                start = dot + 1;
            }

            return false;
        }

        return host.Length == pattern.Length
            ? host.Equals(pattern, StringComparison.Ordinal)
            : host.Length > pattern.Length && host.EndsWith(pattern, StringComparison.Ordinal) && host[host.Length - pattern.Length - 1] == '.';
    }

    private static bool IsPublicSuffixLike(ReadOnlySpan<char> suffix)
    {
        var labels = 0;
        foreach (var range in suffix.Split('.'))
        {
            var label = suffix[range];
            if (label.Length is < 2 or > 3 || label.ContainsAnyExceptInRange('a', 'z'))
            {
                return false;
            }

            labels++;
        }

        return labels is 1 or 2;
    }

    private static Dictionary<string, NamedSource> BuildNames()
    {
        var names = new Dictionary<string, NamedSource>(StringComparer.OrdinalIgnoreCase);
        foreach (var (pattern, name, category) in Table)
        {
            var source = new NamedSource(name, category);
            names.TryAdd(name, source);
            var label = pattern.EndsWith(".*", StringComparison.Ordinal) ? pattern[..^2] : pattern[..pattern.LastIndexOf('.')];
            if (!label.Contains('.', StringComparison.Ordinal))
            {
                names.TryAdd(label, source);
            }

            names.TryAdd(pattern, source);
        }

        foreach (var (alias, name) in new[] { ("fb", "Facebook"), ("ig", "Instagram"), ("twitter", "X"), ("hn", "Hacker News"), ("yt", "YouTube"), ("gmail", "Gmail") })
        {
            names[alias] = names[name];
        }

        return names;
    }
}

/// <summary>The default channel groups (GA4's, slightly condensed).</summary>
public static class Channels
{
    public const string Direct = "Direct";

    private static readonly NamedSource Webmail = new("Webmail", SourceCategory.Email);
    public const string OrganicSearch = "Organic Search";
    public const string PaidSearch = "Paid Search";
    public const string OrganicSocial = "Organic Social";
    public const string PaidSocial = "Paid Social";
    public const string OrganicVideo = "Organic Video";
    public const string PaidVideo = "Paid Video";
    public const string PaidOther = "Paid Other";
    public const string Display = "Display";
    public const string Email = "Email";
    public const string Affiliates = "Affiliates";
    public const string Referral = "Referral";
    public const string Unassigned = "Unassigned";

    /// <summary>
    /// The channel of a source: paid when the medium says so (<c>cpc</c>, <c>ppc</c>, <c>paid*</c>, …) or a paid
    /// click id came along, split by the source's category; then display, email, affiliates, and the organic
    /// groups by category or medium; a referrer without campaign is Referral; no source at all is Direct.
    /// </summary>
    public static string Of(string? source, string? medium, SourceCategory category, bool paidClick)
    {
        if (source is null && medium is null)
        {
            return Direct;
        }

        var m = medium?.Trim().ToLowerInvariant() ?? "";
        if (paidClick || m is "cpc" or "ppc" or "cpv" or "cpa" or "cpp" or "retargeting" || m.StartsWith("paid", StringComparison.Ordinal))
        {
            return category switch
            {
                SourceCategory.Search => PaidSearch,
                SourceCategory.Social => PaidSocial,
                SourceCategory.Video => PaidVideo,
                _ => m.Contains("social", StringComparison.Ordinal) ? PaidSocial : PaidOther,
            };
        }

        if (m is "display" or "banner" or "cpm" or "expandable" or "interstitial")
        {
            return Display;
        }

        if (category == SourceCategory.Email || m is "email" or "e-mail" or "e_mail" or "e mail" or "newsletter"
            || (source is not null && (source.Contains("newsletter", StringComparison.OrdinalIgnoreCase) || source.Contains("email", StringComparison.OrdinalIgnoreCase))))
        {
            return Email;
        }

        if (m == "affiliate")
        {
            return Affiliates;
        }

        if (category == SourceCategory.Search || m == "organic")
        {
            return OrganicSearch;
        }

        if (category == SourceCategory.Social || m is "social" or "social-network" or "social-media" or "sm" or "social network" or "social media")
        {
            return OrganicSocial;
        }

        if (category == SourceCategory.Video || m.Contains("video", StringComparison.Ordinal))
        {
            return OrganicVideo;
        }

        return m is "" or "referral" or "app" or "link" ? Referral : Unassigned;
    }
}
