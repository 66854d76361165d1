using System.Text.Json;
using Clickstream.Consumer.Reconciliation;
using Clickstream.Consumer.Stats;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Clickstream.Consumer.Api;

/// <summary>
/// The SSE frame (stats + reconciliation events) shared by every open page: built at most every
/// 900 ms, so ten dashboards cost the aggregates' lock one snapshot a second, not ten.
/// </summary>
public sealed class StreamFrames(LiveStats stats, PipelineReconciler reconciler, IOptions<JsonOptions> json, TimeProvider time)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMilliseconds(900);
    private readonly Lock _gate = new();
    private (DateTimeOffset At, string Frame)? _last;

    public string Current()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_last is not { } last || now - last.At >= MaxAge)
            {
                var serializer = json.Value.SerializerOptions;
                var frame = $"event: stats\ndata: {JsonSerializer.Serialize(stats.Snapshot(), serializer)}\n\n"
                    + $"event: reconciliation\ndata: {JsonSerializer.Serialize(reconciler.Report(), serializer)}\n\n";
                _last = last = (now, frame);
            }

            return last.Frame;
        }
    }
}
