using Clickstream.Shipper.Stats;

namespace Clickstream.Shipper.Tests;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void The_p99_lies_within_a_bucket_of_the_true_value()
    {
        var histogram = new LatencyHistogram();
        Assert.Equal(0, histogram.Quantile(0.99));
        for (var i = 1; i <= 1000; i++)
        {
            histogram.Record(i); // 1..1000 ms: the p99 is 990 ms
        }

        Assert.InRange(histogram.Quantile(0.99), 990, 990 * 1.05);
        Assert.InRange(histogram.Quantile(0.5), 500, 500 * 1.05);
    }
}
