using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Clickstream.Shipper.Buffering;

/// <summary>
/// The bounded buffer between the source (the file tails, which read lines and write them here) and the sink (the
/// <see cref="Delivery.KafkaSender"/>, the only reader). It holds batches of up to <see cref="MaxBatchLines"/> lines,
/// at most <see cref="ShipperOptions.BufferBatches"/> of them. Full, it makes the tails wait (<see
/// cref="BoundedChannelFullMode.Wait"/>: Vector's buffers block when full by default), so a broker that falls behind
/// pauses reading instead of growing memory.
/// </summary>
/// <remarks>
/// Batches, not single lines, for the cost of the hand-off: a full channel wakes its waiting writer for every item
/// read, and a thread-pool hop per line would cost more than the rest of the line's way to the producer. A tail hands
/// on what one read of its file gave (up to <see cref="MaxBatchLines"/> lines at a time), so a lone line waits for
/// nothing.
/// </remarks>
public sealed class LineBuffer
{
    /// <summary>The most lines a tail puts in one batch.</summary>
    public const int MaxBatchLines = 512;

    private readonly Channel<ShipLine[]> _channel;

    public LineBuffer(IOptions<ShipperOptions> options, ShipperMetrics metrics)
    {
        _channel = Channel.CreateBounded<ShipLine[]>(new BoundedChannelOptions(options.Value.BufferBatches)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false, // one tail per file
        });
        metrics.Buffered = () => Batches;
    }

    /// <summary>The sink's end.</summary>
    public ChannelReader<ShipLine[]> Reader => _channel.Reader;

    /// <summary>Batches waiting for the sink.</summary>
    public int Batches => _channel.Reader.Count;

    /// <summary>Adds a batch; waits while the buffer is full. Cancelled, the batch is not added (its lines are read again).</summary>
    public ValueTask WriteAsync(ShipLine[] batch, CancellationToken cancellationToken) =>
        _channel.Writer.TryWrite(batch) ? ValueTask.CompletedTask : _channel.Writer.WriteAsync(batch, cancellationToken);

    /// <summary>No more batches (the tails stopped): the sink hands on what is left and ends.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}
