using System.Text.Json;
using Clickstream.Consumer.Reconciliation;
using Clickstream.Consumer.Stats;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Clickstream.Consumer.Api;

/// <summary>One second of the event stream: the data of its <c>stats</c>, <c>sites</c> and <c>reconciliation</c> events, as JSON.</summary>
public sealed record StreamFrame(string Stats, string Sites, string Reconciliation);

/// <summary>
/// The SSE frame (stats, sites and reconciliation events) shared by every open page: built at most every
/// 900 ms, so ten dashboards cost the aggregates' lock one snapshot a second, not ten.
/// </summary>
public sealed class StreamFrames(LiveStats stats, PipelineReconciler reconciler, IOptions<JsonOptions> json, TimeProvider time)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMilliseconds(900);
    private const string AllSites = "";
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (DateTimeOffset At, StreamFrame Frame)> _last = new(StringComparer.Ordinal);

    /// <summary>The frame for one site (null: all sites); a site never seen gets the all-sites figures until it is.</summary>
    public StreamFrame Current(string? site)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var key = site ?? AllSites;
            if (!_last.TryGetValue(key, out var last) || now - last.At >= MaxAge)
            {
                var serializer = json.Value.SerializerOptions;
                var document = StatsDocument.Build(stats, site, serializer) ?? StatsDocument.Build(stats, null, serializer)!;
                var frame = new StreamFrame(document.ToJsonString(serializer), JsonSerializer.Serialize(stats.Sites.Sites(), serializer),
                    JsonSerializer.Serialize(reconciler.Report(), serializer));
                if (_last.Count > SiteStatsLimit)
                {
                    _last.Clear(); // pages asking for sites that do not exist must not grow this
                }

                _last[key] = last = (now, frame);
            }

            return last.Frame;
        }
    }

    private const int SiteStatsLimit = Stats.Sites.SiteStats.MaxSites + 1;
}
