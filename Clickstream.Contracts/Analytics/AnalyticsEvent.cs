namespace Clickstream.Contracts.Analytics;

/// <summary>
/// One hit as analytics sees it, derived from the access-log line's <c>path</c> (the tracker's query),
/// <c>referer</c> and <c>agent</c> by <see cref="AnalyticsEventReader"/>. Sessions and visitors are not
/// here: they need state across events (<see cref="SessionTracker"/>, <see cref="CookielessVisitorIds"/>).
/// </summary>
public sealed class AnalyticsEvent
{
    /// <summary>What the site is called when nothing names it (no <c>aid</c>, no page URL, no Referer).</summary>
    public const string UnknownSite = "(unknown)";

    public required EventType Type { get; init; }

    /// <summary><c>aid</c>; else the page's host without <c>www.</c>; else (no-JS or bare hit) the Referer's host.</summary>
    public required string Site { get; init; }

    /// <summary>The page's host (lower case), when known.</summary>
    public string? PageHost { get; init; }

    /// <summary>The page's path without query or fragment (<c>/</c> for the root), when known.</summary>
    public string? PagePath { get; init; }

    /// <summary><c>page</c>: the document title.</summary>
    public string? PageTitle { get; init; }

    /// <summary><c>refr</c>: where the visitor came from (not the HTTP Referer, which is the page itself).</summary>
    public string? PageReferrer { get; init; }

    /// <summary>
    /// Where this page view came from: <c>utm_source</c>, a paid click id's engine, a named referrer, the referrer's
    /// host, or <see cref="Sources.Direct"/>. Null when the referrer is the same site (a click inside the site
    /// brings no source: the session keeps its entry's).
    /// </summary>
    public string? Source { get; init; }

    public string? Medium { get; init; }
    public string? Campaign { get; init; }
    public string? Term { get; init; }
    public string? Content { get; init; }

    /// <summary>The channel group of <see cref="Source"/> (<see cref="Channels"/>); null when <see cref="Source"/> is.</summary>
    public string? Channel { get; init; }

    public string? EventId { get; init; }
    public string? TrackerVersion { get; init; }
    public string? Platform { get; init; }

    /// <summary><c>duid</c>: the tracker's first-party visitor id (Snowplow's <c>_sp_id</c> cookie).</summary>
    public string? DomainUserId { get; init; }

    /// <summary><c>sid</c>: the tracker's session id.</summary>
    public string? SessionId { get; init; }

    /// <summary><c>vid</c>: the tracker's session count for this visitor (1: first visit).</summary>
    public int? SessionIndex { get; init; }

    /// <summary><c>dtm</c>: when the device created the event.</summary>
    public DateTimeOffset? DeviceTime { get; init; }

    public string? TimeZone { get; init; }
    public string? Language { get; init; }
    public string? Resolution { get; init; }
    public string? Viewport { get; init; }

    /// <summary>
    /// The custom event's name: our tracker's <c>name</c>, the self-describing event's schema name, or
    /// <c>category/action</c> of a structured event.
    /// </summary>
    public string? CustomEventName { get; init; }

    /// <summary>The custom event's data as JSON (self-describing: its <c>data</c>, cut to <see cref="TrackerProtocol.MaxValueLength"/>).</summary>
    public string? CustomEventData { get; init; }

    public string? StructLabel { get; init; }
    public string? StructProperty { get; init; }
    public double? StructValue { get; init; }

    /// <summary><c>et</c> on a page ping: engaged milliseconds since the previous ping.</summary>
    public long? EngagedMs { get; init; }

    /// <summary><c>pp_maxy</c>: the deepest vertical scroll offset since the previous ping.</summary>
    public int? PingMaxY { get; init; }

    public required UserAgentInfo UserAgent { get; init; }

    /// <summary>The tracker said <c>navigator.webdriver</c> (automation).</summary>
    public bool Webdriver { get; init; }

    /// <summary>A crawler by its user agent, or automation by the tracker's flag: counted apart, never a visitor.</summary>
    public bool IsBot => UserAgent.IsBot || Webdriver;

    public EventProblems Problems { get; init; }
}
