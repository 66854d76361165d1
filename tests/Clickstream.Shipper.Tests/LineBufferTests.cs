using Clickstream.Shipper.Buffering;
using Clickstream.Shipper.Checkpoints;
using Clickstream.Shipper.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Clickstream.Shipper.Tests;

public sealed class LineBufferTests
{
    [Fact]
    public async Task A_full_buffer_makes_the_source_wait_until_the_sink_takes_a_batch_and_batches_come_out_in_order()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new ShipperMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var buffer = new LineBuffer(Options.Create(new ShipperOptions { BufferBatches = 2 }), metrics);
        var tracker = new AckTracker(0);
        var batches = Enumerable.Range(0, 3).Select(i => new[] { Line(tracker, i) }).ToArray();

        Assert.True(buffer.WriteAsync(batches[0], CancellationToken.None).IsCompletedSuccessfully);
        Assert.True(buffer.WriteAsync(batches[1], CancellationToken.None).IsCompletedSuccessfully);
        var third = buffer.WriteAsync(batches[2], CancellationToken.None).AsTask();
        Assert.False(third.IsCompleted); // full: the source waits
        Assert.Equal(2, metrics.Buffered!());

        Assert.True(buffer.Reader.TryRead(out var first));
        await third.WaitAsync(TimeSpan.FromSeconds(10)); // room again: the source goes on
        buffer.Complete();
        List<ShipLine[]> rest = [];
        await foreach (var batch in buffer.Reader.ReadAllAsync())
        {
            rest.Add(batch);
        }

        Assert.Equal(batches, [first!, .. rest]);
    }

    [Fact]
    public void A_line_s_finalizer_moves_its_file_s_checkpoint_and_reports_the_window_room_it_frees()
    {
        var tracker = new AckTracker(0);
        var first = Line(tracker, 0);
        var second = Line(tracker, 1);

        Assert.Equal(default, second.Finalize(DeliveryOutcome.Delivered));
        Assert.Equal(0, tracker.Committed);
        Assert.Equal(new FoldedLines(2, first.Value.Length + second.Value.Length), first.Finalize(DeliveryOutcome.Delivered));
        Assert.Equal(second.EndOffset, tracker.Committed);
    }

    private static ShipLine Line(AckTracker tracker, int i)
    {
        var value = System.Text.Encoding.UTF8.GetBytes($"{{\"n\":\"{i}\"}}");
        tracker.Track((i + 1) * 100L, value.Length);
        return new ShipLine("access.log", i * 100L, (i + 1) * 100L, null, value, [(byte)i], tracker);
    }
}
