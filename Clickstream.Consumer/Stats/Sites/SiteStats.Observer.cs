using Clickstream.Contracts.Analytics;

namespace Clickstream.Consumer.Stats.Sites;

/// <summary>Told of every event the analytics counted (bots too), with what they derived; on the apply thread.</summary>
public interface IAppliedEventObserver
{
    /// <param name="visitor">The visitor id; null for a bot.</param>
    /// <param name="step">What the event did to its session; null for a bot.</param>
    void Applied(ClickEvent line, AnalyticsEvent e, ulong? visitor, SessionStep? step, DateTimeOffset at);
}

public sealed partial class SiteStats
{
    /// <summary>Set once at start-up (the lake), before events arrive.</summary>
    public IAppliedEventObserver? Observer { get; set; }
}
