namespace Clickstream.Contracts.Analytics;

/// <summary>The kind of a hit, from the tracker protocol's <c>e</c>.</summary>
public enum EventType
{
    /// <summary>No <c>e</c>: a bare pixel request (an &lt;img&gt; or a legacy tag).</summary>
    Hit,

    /// <summary><c>e=pv</c>.</summary>
    PageView,

    /// <summary><c>e=pp</c>: the page is still open (engaged time, scroll).</summary>
    PagePing,

    /// <summary><c>e=ue</c>: a self-describing (custom) event.</summary>
    SelfDescribing,

    /// <summary><c>e=se</c>: a structured event (category, action, label, property, value).</summary>
    Structured,

    /// <summary><c>e=tr</c> / <c>e=ti</c>: e-commerce transaction and item.</summary>
    Transaction,

    /// <summary>An <c>e</c> the protocol does not define (counted, flagged).</summary>
    Unknown,
}

public static class EventTypes
{
    /// <summary>The code of a type as the protocol spells it (<c>pv</c>, …); <c>hit</c> and <c>unknown</c> for the others.</summary>
    public static string Code(this EventType type) => type switch
    {
        EventType.PageView => "pv",
        EventType.PagePing => "pp",
        EventType.SelfDescribing => "ue",
        EventType.Structured => "se",
        EventType.Transaction => "tr",
        EventType.Hit => "hit",
        _ => "unknown",
    };

    public static EventType Parse(ReadOnlySpan<char> e) => e switch
    {
        "pv" => EventType.PageView,
        "pp" => EventType.PagePing,
        "ue" => EventType.SelfDescribing,
        "se" => EventType.Structured,
        "tr" or "ti" => EventType.Transaction,
        _ => EventType.Unknown,
    };
}
