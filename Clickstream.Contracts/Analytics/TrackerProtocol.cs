namespace Clickstream.Contracts.Analytics;

/// <summary>
/// The Snowplow tracker protocol's query parameters that the pixel's <c>GET /i</c> understands (the
/// names are Snowplow's, so its trackers work unchanged), plus two of our own tracker's extensions.
/// </summary>
public static class TrackerProtocol
{
    /// <summary>The event: <c>pv</c>, <c>pp</c>, <c>ue</c>, <c>se</c>, <c>tr</c>, <c>ti</c>; absent on a bare pixel hit.</summary>
    public const string Event = "e";
    public const string EventId = "eid";
    public const string AppId = "aid";
    public const string Platform = "p";
    public const string TrackerVersion = "tv";
    public const string Url = "url";
    public const string Referrer = "refr";
    public const string PageTitle = "page";
    public const string DomainUserId = "duid";
    public const string SessionId = "sid";
    public const string SessionIndex = "vid";
    public const string DeviceCreatedTime = "dtm";
    public const string DeviceSentTime = "stm";
    public const string TimeZone = "tz";
    public const string Language = "lang";
    public const string Resolution = "res";
    public const string Viewport = "vp";
    public const string ColorDepth = "cd";
    public const string PingMinX = "pp_mix";
    public const string PingMaxX = "pp_maxx";
    public const string PingMinY = "pp_miy";
    public const string PingMaxY = "pp_maxy";
    public const string StructCategory = "se_ca";
    public const string StructAction = "se_ac";
    public const string StructLabel = "se_la";
    public const string StructProperty = "se_pr";
    public const string StructValue = "se_va";
    public const string SelfDescribing = "ue_pr";
    public const string SelfDescribingBase64 = "ue_px";
    public const string Contexts = "co";
    public const string ContextsBase64 = "cx";

    /// <summary>Our tracker's extension: engaged milliseconds since the last ping (page visible and focused).</summary>
    public const string EngagedMs = "et";

    /// <summary>Our tracker's extension: <c>1</c> when <c>navigator.webdriver</c> is set (automation).</summary>
    public const string Webdriver = "wd";

    /// <summary>The <c>tv</c> of the no-JS fallback (<c>&lt;noscript&gt;&lt;img src=".../i?e=pv&amp;aid=SITE&amp;tv=no-js"&gt;</c>).</summary>
    public const string NoScriptTrackerVersion = "no-js";

    /// <summary>Longer queries are read up to here (the pixel refuses request lines beyond 8 KiB anyway).</summary>
    public const int MaxQueryLength = 8 * 1024;

    /// <summary>A self-describing event (<c>ue_pr</c>, or <c>ue_px</c> encoded) beyond this is not decoded.</summary>
    public const int MaxSelfDescribingLength = 4 * 1024;

    /// <summary>Kept values (titles, URLs, names) are cut here, so no hit can grow the aggregates' keys without bound.</summary>
    public const int MaxValueLength = 512;

    /// <summary>Site ids longer than this are not site ids.</summary>
    public const int MaxSiteIdLength = 100;

    /// <summary>The schema of our tracker's custom events: <c>{"name":…,"props":{…}}</c>.</summary>
    public const string CustomEventSchema = "iglu:io.clickstream/event/jsonschema/1-0-0";

    /// <summary>Snowplow's wrapper schema around every self-describing event.</summary>
    public const string UnstructEventSchemaPrefix = "iglu:com.snowplowanalytics.snowplow/unstruct_event/";
}
