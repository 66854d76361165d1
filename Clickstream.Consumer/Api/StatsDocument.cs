using System.Text.Json;
using System.Text.Json.Nodes;
using Clickstream.Consumer.Stats;

namespace Clickstream.Consumer.Api;

/// <summary>
/// The <c>/api/stats</c> document: the pipeline's snapshot with the analytics figures of one site (or of all
/// sites) added at the same level, so a client reads <c>totalEvents</c> and <c>topPages</c> side by side.
/// </summary>
public static class StatsDocument
{
    /// <summary>Null when <paramref name="site"/> was never seen.</summary>
    public static JsonObject? Build(LiveStats stats, string? site, JsonSerializerOptions options)
    {
        var analytics = stats.Sites.Snapshot(site);
        if (analytics is null)
        {
            return null;
        }

        var document = JsonSerializer.SerializeToNode(stats.Snapshot(), options)!.AsObject();
        foreach (var (name, value) in JsonSerializer.SerializeToNode(analytics, options)!.AsObject().ToList())
        {
            document[name] = value?.DeepClone();
        }

        document["duplicateEventIds"] = stats.Sites.DuplicateEventIds;
        return document;
    }
}
