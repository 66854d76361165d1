namespace Clickstream.Contracts.Analytics;

/// <summary>
/// What was wrong with a hit's tracker parameters. The hit still counts (its line is sound); the
/// offending value is dropped or kept raw, and each flag becomes a reason-labelled metric.
/// </summary>
[Flags]
public enum EventProblems
{
    None = 0,

    /// <summary>A <c>%</c> not followed by two hex digits, or decoded bytes that are not UTF-8: the raw text is kept.</summary>
    InvalidPercentEncoding = 1 << 0,

    /// <summary><c>url</c> (or <c>refr</c>) is not an absolute http(s) URL: no page or site is taken from it.</summary>
    InvalidUrl = 1 << 1,

    /// <summary>The query is longer than <see cref="TrackerProtocol.MaxQueryLength"/>: only its head is read.</summary>
    QueryTooLong = 1 << 2,

    /// <summary><c>e</c> is not one of the protocol's event codes.</summary>
    UnknownEventType = 1 << 3,

    /// <summary><c>ue_px</c> is not base64url, or <c>ue_pr</c>/<c>ue_px</c> is not a self-describing JSON event.</summary>
    MalformedSelfDescribing = 1 << 4,

    /// <summary><c>ue_px</c>/<c>ue_pr</c> longer than <see cref="TrackerProtocol.MaxSelfDescribingLength"/>: not decoded.</summary>
    SelfDescribingTooLarge = 1 << 5,

    /// <summary>Control characters in <c>aid</c>: the site falls back to the page's host.</summary>
    InvalidSiteId = 1 << 6,

    /// <summary>A number parameter (<c>vid</c>, <c>dtm</c>, <c>pp_*</c>, <c>se_va</c>, <c>et</c>) that is not a number: ignored.</summary>
    InvalidNumber = 1 << 7,
}

public static class EventProblemNames
{
    private static readonly (EventProblems Flag, string Reason)[] Reasons =
    [
        (EventProblems.InvalidPercentEncoding, "invalid_percent_encoding"),
        (EventProblems.InvalidUrl, "invalid_url"),
        (EventProblems.QueryTooLong, "query_too_long"),
        (EventProblems.UnknownEventType, "unknown_event_type"),
        (EventProblems.MalformedSelfDescribing, "malformed_self_describing"),
        (EventProblems.SelfDescribingTooLarge, "self_describing_too_large"),
        (EventProblems.InvalidSiteId, "invalid_site_id"),
        (EventProblems.InvalidNumber, "invalid_number"),
    ];

    /// <summary>The metric reason of each flag that is set (snake_case, stable).</summary>
    public static IEnumerable<string> Of(EventProblems problems)
    {
        foreach (var (flag, reason) in Reasons)
        {
            if ((problems & flag) != 0)
            {
                yield return reason;
            }
        }
    }
}
