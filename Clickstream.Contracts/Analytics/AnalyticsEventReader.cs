using System.Globalization;
using System.Text.Json;

namespace Clickstream.Contracts.Analytics;

/// <summary>
/// Derives <see cref="AnalyticsEvent"/>s from access-log fields. Never throws on input: what is wrong gets a
/// flag in <see cref="AnalyticsEvent.Problems"/> and the rest of the hit still counts. A site has few distinct
/// agents, page URLs and referrers, so each is parsed once and kept in bounded caches; not thread-safe (one
/// reader per parsing thread).
/// </summary>
public sealed class AnalyticsEventReader(int maxCached = 10_000)
{
    private static readonly UserAgentInfo UnknownAgent = UserAgentParser.Parse(null);

    private readonly Dictionary<string, UserAgentInfo> _agents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PageInfo?> _pages = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PageUrl?> _referrers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NamedSource?> _named = new(StringComparer.Ordinal);

    // Decoded parameter values by their raw text: most repeat (site, page URL, title, screen, language), so a
    // hit's parameters cost a lookup on the query's own span instead of a decode and a string each.
    private readonly Dictionary<string, Decoded>.AlternateLookup<ReadOnlySpan<char>> _decoded =
        new Dictionary<string, Decoded>(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>A decoded (and cut) value, and whether its percent-encoding was sound.</summary>
    private readonly record struct Decoded(string? Value, bool Valid);

    /// <summary>A page URL parsed once: its parts and the campaign its query carries.</summary>
    private sealed record PageInfo(PageUrl Url, Campaign Campaign, EventProblems Problems);

    /// <summary>The <c>utm_*</c> parameters and paid click ids of a landing page's URL.</summary>
    private sealed record Campaign(string? Source, string? Medium, string? Name, string? Term, string? Content, string? PaidClick)
    {
        public static readonly Campaign None = new(null, null, null, null, null, null);
    }

    /// <summary>One hit from the log line's <c>path</c> (with the query), <c>referer</c> and <c>agent</c> (<c>-</c> or null when absent).</summary>
    public AnalyticsEvent Read(string? path, string? referer, string? agent)
    {
        var problems = EventProblems.None;
        var p = new Parameters();
        var query = QueryOf(path);
        if (query.Length > TrackerProtocol.MaxQueryLength)
        {
            problems |= EventProblems.QueryTooLong;
            query = query[..TrackerProtocol.MaxQueryLength];
            var lastPair = query.LastIndexOf('&');
            query = lastPair < 0 ? [] : query[..lastPair]; // the cut pair is incomplete
        }

        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            var eq = pair.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }

            p.Set(pair[..eq], pair[(eq + 1)..], this);
        }

        var ua = Present(agent) is { } a ? Cached(_agents, a, UserAgentParser.Parse) : UnknownAgent;
        var type = p.E is null ? EventType.Hit : EventTypes.Parse(p.E);
        if (type == EventType.Unknown)
        {
            problems |= EventProblems.UnknownEventType;
        }

        // The page: the tracker's url; for a no-JS or bare hit, the HTTP Referer (the page that embeds the pixel).
        PageInfo? page = null;
        if (p.Url is { } url)
        {
            page = Cached(_pages, url, ParsePage);
            if (page is null)
            {
                problems |= EventProblems.InvalidUrl;
            }
        }
        else if (Present(referer) is { } embedding)
        {
            page = Cached(_pages, embedding, ParsePage);
        }

        problems |= page?.Problems ?? EventProblems.None;

        string site;
        if (p.Aid is { } aid && IsValidSiteId(aid))
        {
            site = aid;
        }
        else
        {
            if (p.Aid is not null)
            {
                problems |= EventProblems.InvalidSiteId;
            }

            site = page?.Url.Domain ?? AnalyticsEvent.UnknownSite;
        }

        PageUrl? referrer = null;
        if (p.Refr is { } refr)
        {
            referrer = Cached(_referrers, refr, ParseReferrer);
            if (referrer is null)
            {
                problems |= EventProblems.InvalidUrl;
            }
        }

        var (source, medium, campaign, term, content, channel) = Attribute(page, referrer, site);
        string? customName = null, customData = null;
        if (type == EventType.SelfDescribing)
        {
            problems |= SelfDescribing(p, out customName, out customData);
        }
        else if (type == EventType.Structured && (p.SeCategory ?? p.SeAction) is not null)
        {
            customName = p.SeCategory is null ? p.SeAction : p.SeAction is null ? p.SeCategory : $"{p.SeCategory}/{p.SeAction}";
        }

        return new AnalyticsEvent
        {
            Type = type,
            Site = site,
            PageHost = page?.Url.Host,
            PagePath = page?.Url.Path,
            PageTitle = p.Page,
            PageReferrer = p.Refr,
            Source = source,
            Medium = medium,
            Campaign = campaign,
            Term = term,
            Content = content,
            Channel = channel,
            EventId = p.Eid,
            TrackerVersion = p.Tv,
            Platform = p.P,
            DomainUserId = p.Duid,
            SessionId = p.Sid,
            SessionIndex = p.Vid,
            DeviceTime = p.Dtm is { } dtm ? DateTimeOffset.FromUnixTimeMilliseconds(dtm) : null,
            TimeZone = p.Tz,
            Language = p.Lang,
            Resolution = p.Res,
            Viewport = p.Vp,
            CustomEventName = customName,
            CustomEventData = customData,
            StructLabel = p.SeLabel,
            StructProperty = p.SeProperty,
            StructValue = p.SeValue,
            EngagedMs = p.Et,
            PingMaxY = p.PpMaxY,
            UserAgent = ua,
            Webdriver = p.Wd,
            Problems = problems | p.Problems,
        };
    }

    /// <summary>
    /// Source, medium, campaign, term, content and channel: the landing URL's <c>utm_*</c> first, then a paid click
    /// id (<c>gclid</c>: Google, <c>msclkid</c>: Bing, both cpc), then the referrer (same site: no source; a named
    /// one from <see cref="Sources"/>; else its host without <c>www.</c>), else Direct.
    /// </summary>
    private (string? Source, string? Medium, string? Campaign, string? Term, string? Content, string? Channel) Attribute(PageInfo? page, PageUrl? referrer, string site)
    {
        var c = page?.Campaign ?? Campaign.None;
        if (c.Source is not null || c.Medium is not null || c.Name is not null)
        {
            var named = c.Source is null ? null : Sources.OfName(c.Source);
            var source = named?.Name ?? c.Source ?? (referrer is { } r ? ReferrerSource(r).Name : null) ?? Sources.Direct;
            var category = named?.Category ?? (c.Source is null && referrer is { } r2 ? ReferrerSource(r2).Category : SourceCategory.None);
            return (source, c.Medium, c.Name, c.Term, c.Content, Channels.Of(source, c.Medium ?? (c.PaidClick is null ? null : "cpc"), category, c.PaidClick is not null));
        }

        if (c.PaidClick is not null)
        {
            var engine = c.PaidClick == "msclkid" ? "Bing" : "Google";
            return (engine, "cpc", null, null, null, Channels.PaidSearch);
        }

        if (referrer is not { } from)
        {
            return (Sources.Direct, null, null, null, null, Channels.Direct);
        }

        var domain = from.Domain;
        if (domain == site || (page is { } pg && domain == pg.Url.Domain))
        {
            return (null, null, null, null, null, null);
        }

        var (name, cat) = ReferrerSource(from);
        return (name, null, null, null, null, Channels.Of(name, null, cat, paidClick: false));
    }

    private (string Name, SourceCategory Category) ReferrerSource(PageUrl referrer)
    {
        var named = Cached(_named, referrer.Host, Sources.OfHost);
        return named is null ? (referrer.Domain, SourceCategory.None) : (named.Name, named.Category);
    }

    private static PageInfo? ParsePage(string url)
    {
        if (!PageUrl.TryParse(url, out var parts))
        {
            return null;
        }

        var problems = EventProblems.None;
        string? source = null, medium = null, name = null, term = null, content = null, paid = null;
        var query = parts.Query.AsSpan();
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            var raw = eq < 0 ? [] : pair[(eq + 1)..];
            switch (key)
            {
                case "utm_source": source = Decode(raw, ref problems); break;
                case "utm_medium": medium = Decode(raw, ref problems); break;
                case "utm_campaign": name = Decode(raw, ref problems); break;
                case "utm_term": term = Decode(raw, ref problems); break;
                case "utm_content": content = Decode(raw, ref problems); break;
                case "gclid" or "gbraid" or "wbraid": paid ??= "gclid"; break;
                case "msclkid": paid = "msclkid"; break;
            }
        }

        return new PageInfo(parts, new Campaign(source, medium, name, term, content, paid), problems);
    }

    private static PageUrl? ParseReferrer(string url) => PageUrl.TryParse(url, out var parts) ? parts : null;

    private static string? Decode(ReadOnlySpan<char> raw, ref EventProblems problems)
    {
        if (!UrlEncoding.TryDecode(raw, out var value))
        {
            problems |= EventProblems.InvalidPercentEncoding;
        }

        value = value.Trim();
        return value.Length == 0 ? null : Cut(value);
    }

    /// <summary>
    /// <c>ue_pr</c> (JSON) or <c>ue_px</c> (base64url JSON): Snowplow's <c>unstruct_event</c> wrapper around
    /// <c>{"schema": "iglu:vendor/name/jsonschema/1-0-0", "data": {…}}</c>. Our tracker's schema names the event in
    /// <c>data.name</c>; any other schema is named by its name part.
    /// </summary>
    private static EventProblems SelfDescribing(Parameters p, out string? name, out string? data)
    {
        (name, data) = (null, null);
        if (p.SelfDescribingTooLarge)
        {
            return EventProblems.SelfDescribingTooLarge;
        }

        var json = p.UePr;
        if (json is null && p.UePx is { } encoded)
        {
            if (!UrlEncoding.TryDecodeBase64Url(encoded, out json))
            {
                return EventProblems.MalformedSelfDescribing;
            }
        }

        if (json is null)
        {
            return EventProblems.MalformedSelfDescribing;
        }

        if (json.Length > TrackerProtocol.MaxSelfDescribingLength)
        {
            return EventProblems.SelfDescribingTooLarge;
        }

        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var inner) || inner.ValueKind != JsonValueKind.Object)
            {
                return EventProblems.MalformedSelfDescribing;
            }

            // The wrapper is optional in practice (some trackers send the event itself).
            var isWrapper = root.TryGetProperty("schema", out var outerSchema) && outerSchema.ValueKind == JsonValueKind.String
                && outerSchema.GetString()!.StartsWith(TrackerProtocol.UnstructEventSchemaPrefix, StringComparison.Ordinal);
            var evt = isWrapper ? inner : root;
            if (!evt.TryGetProperty("schema", out var schemaElement) || schemaElement.ValueKind != JsonValueKind.String
                || !evt.TryGetProperty("data", out var eventData))
            {
                return EventProblems.MalformedSelfDescribing;
            }

            var schema = schemaElement.GetString()!;
            if (schema == TrackerProtocol.CustomEventSchema)
            {
                if (eventData.ValueKind != JsonValueKind.Object || !eventData.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String
                    || n.GetString() is not { Length: > 0 } custom)
                {
                    return EventProblems.MalformedSelfDescribing;
                }

                name = Cut(custom);
                data = eventData.TryGetProperty("props", out var props) ? Cut(props.GetRawText()) : null;
            }
            else
            {
                name = SchemaName(schema) ?? Cut(schema);
                data = Cut(eventData.GetRawText());
            }

            return EventProblems.None;
        }
        catch (JsonException)
        {
            return EventProblems.MalformedSelfDescribing;
        }
    }

    /// <summary><c>iglu:com.acme/signup/jsonschema/1-0-0</c> → <c>signup</c>.</summary>
    private static string? SchemaName(string schema)
    {
        var parts = schema.Split('/');
        return parts.Length == 4 && parts[0].StartsWith("iglu:", StringComparison.Ordinal) && parts[1].Length > 0 ? parts[1] : null;
    }

    private static bool IsValidSiteId(string aid) =>
        aid.Length <= TrackerProtocol.MaxSiteIdLength && !aid.AsSpan().ContainsAnyInRange('\0', '\u001f') && !aid.Contains('\u007f', StringComparison.Ordinal);

    private static ReadOnlySpan<char> QueryOf(string? path)
    {
        if (path is null)
        {
            return [];
        }

        var q = path.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? [] : path.AsSpan(q + 1);
    }

    private static string? Present(string? value) => string.IsNullOrEmpty(value) || value == "-" ? null : value;

    private static string Cut(string value) => value.Length > TrackerProtocol.MaxValueLength ? value[..TrackerProtocol.MaxValueLength] : value;

    /// <summary>A repeating parameter's value, decoded and cut, from the cache when it was seen before (bounded like the others).</summary>
    private string? Text(ReadOnlySpan<char> raw, ref EventProblems problems)
    {
        if (raw.IsEmpty)
        {
            return null;
        }

        if (!_decoded.TryGetValue(raw, out var decoded))
        {
            var valid = UrlEncoding.TryDecode(raw, out var value);
            decoded = new Decoded(value.Length == 0 ? null : Cut(value), valid);
            if (_decoded.Dictionary.Count < maxCached && raw.Length <= MaxCachedRawLength)
            {
                _decoded[raw] = decoded;
            }
        }

        if (!decoded.Valid)
        {
            problems |= EventProblems.InvalidPercentEncoding;
        }

        return decoded.Value;
    }

    // Longer raw values (a page URL is cut at 512 chars once decoded) are decoded each time rather than kept.
    private const int MaxCachedRawLength = 3 * TrackerProtocol.MaxValueLength;

    private T Cached<T>(Dictionary<string, T> cache, string key, Func<string, T> parse)
    {
        if (!cache.TryGetValue(key, out var value))
        {
            value = parse(key);
            if (cache.Count < maxCached)
            {
                cache[key] = value;
            }
        }

        return value;
    }

    /// <summary>The tracker parameters of one query, decoded (only those the model uses).</summary>
    private struct Parameters
    {
        // Beyond this a timestamp in ms is past year 9999 (DateTimeOffset's end) and a count is nonsense.
        private const long MaxNumber = 253_402_300_799_999;

        public string? E, Eid, Aid, P, Tv, Url, Refr, Page, Duid, Sid, Tz, Lang, Res, Vp;
        public string? SeCategory, SeAction, SeLabel, SeProperty, UePr, UePx;
        public int? Vid, PpMaxY;
        public long? Dtm, Et;
        public double? SeValue;
        public bool Wd, SelfDescribingTooLarge;
        public EventProblems Problems;

        /// <param name="reader">Its cache of decoded values serves the parameters that repeat across hits.</param>
        public void Set(ReadOnlySpan<char> key, ReadOnlySpan<char> raw, AnalyticsEventReader reader)
        {
            switch (key)
            {
                case TrackerProtocol.Event: E = reader.Text(raw, ref Problems); break;
                case TrackerProtocol.EventId: Eid = Text(raw); break;
                case TrackerProtocol.AppId: Aid = reader.Text(raw, ref Problems); break;
                case TrackerProtocol.Platform: P = reader.Text(raw, ref Problems); break;
                case TrackerProtocol.TrackerVersion: Tv = reader.Text(raw, ref Problems); break;
                case TrackerProtocol.Url: Url = reader.Text(raw, ref Problems); break;
                case TrackerProtocol.Referrer: Refr = reader.Text(raw, ref Problems); break;
                case TrackerProtocol.PageTitle: Page = reader.Text(raw, ref Problems); break;
                case TrackerProtocol.DomainUserId: Duid = Text(raw); break;
                case TrackerProtocol.SessionId: Sid = Text(raw); break;
                case TrackerProtocol.TimeZone: Tz = reader.Text(raw, ref Problems); break;
                case TrackerProtocol.Language: Lang = reader.Text(raw, ref Problems); break;
                case TrackerProtocol.Resolution: Res = reader.Text(raw, ref Problems); break;
                case TrackerProtocol.Viewport: Vp = reader.Text(raw, ref Problems); break;
                case TrackerProtocol.StructCategory: SeCategory = reader.Text(raw, ref Problems); break;
                case TrackerProtocol.StructAction: SeAction = reader.Text(raw, ref Problems); break;
                case TrackerProtocol.StructLabel: SeLabel = reader.Text(raw, ref Problems); break;
                case TrackerProtocol.StructProperty: SeProperty = reader.Text(raw, ref Problems); break;
                case TrackerProtocol.SelfDescribing or TrackerProtocol.SelfDescribingBase64:
                    // Measured before decoding: a huge one is not worth the work.
                    if (raw.Length > TrackerProtocol.MaxSelfDescribingLength * 3)
                    {
                        Problems |= EventProblems.SelfDescribingTooLarge;
                        SelfDescribingTooLarge = true;
                    }
                    else if (key[4] == 'r')
                    {
                        UePr = Full(raw);
                    }
                    else
                    {
                        UePx = Full(raw);
                    }

                    break;
                case TrackerProtocol.SessionIndex: Vid = Int(raw); break;
                case TrackerProtocol.PingMaxY: PpMaxY = Int(raw); break;
                case TrackerProtocol.DeviceCreatedTime: Dtm = Number(raw); break;
                case TrackerProtocol.EngagedMs: Et = Number(raw); break;
                case TrackerProtocol.StructValue:
                    if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v))
                    {
                        SeValue = v;
                    }
                    else if (!raw.IsEmpty)
                    {
                        Problems |= EventProblems.InvalidNumber;
                    }

                    break;
                case TrackerProtocol.Webdriver: Wd = raw is "1" or "true"; break;
            }
        }

        private string? Text(ReadOnlySpan<char> raw)
        {
            var value = Full(raw);
            return value is null ? null : Cut(value);
        }

        private string? Full(ReadOnlySpan<char> raw)
        {
            if (raw.IsEmpty)
            {
                return null;
            }

            if (!UrlEncoding.TryDecode(raw, out var value))
            {
                Problems |= EventProblems.InvalidPercentEncoding;
            }

            return value.Length == 0 ? null : value;
        }

        private int? Int(ReadOnlySpan<char> raw) => Number(raw) is { } n ? (int)Math.Min(n, int.MaxValue) : null;

        private long? Number(ReadOnlySpan<char> raw)
        {
            if (raw.IsEmpty)
            {
                return null;
            }

            if (long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= MaxNumber)
            {
                return n;
            }

            Problems |= EventProblems.InvalidNumber;
            return null;
        }
    }
}
