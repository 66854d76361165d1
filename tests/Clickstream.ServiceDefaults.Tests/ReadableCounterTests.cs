using System.Diagnostics.Metrics;
using Clickstream.ServiceDefaults.Telemetry;

namespace Clickstream.ServiceDefaults.Tests;

public sealed class ReadableCounterTests
{
    [Fact]
    public void What_is_added_is_both_exported_and_read_back_with_its_tags()
    {
        using var meter = new Meter($"test-{Guid.NewGuid():N}");
        var counter = new ReadableCounter(meter, "test.lines", "{line}", "Lines.");
        long exported = 0;
        var reasons = new List<object?>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            exported += value;
            foreach (var tag in tags)
            {
                reasons.Add(tag.Value);
            }
        });
        listener.Start();

        counter.Add();
        counter.Add(4);
        counter.Add(2, new KeyValuePair<string, object?>("reason", "queue_full"));

        Assert.Equal(7, counter.Total);
        Assert.Equal(7, exported);
        Assert.Equal(["queue_full"], reasons);
    }
}
