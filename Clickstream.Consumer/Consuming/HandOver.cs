using System.Threading.Channels;
using Clickstream.Consumer.Stats;
using Confluent.Kafka;

namespace Clickstream.Consumer.Consuming;

/// <summary>What the event-id window said about a message when it was received.</summary>
public enum Admission : byte
{
    /// <summary>No <c>event-id</c> header: counted whatever it is.</summary>
    Untracked,

    /// <summary>Its id was new: applied, and its id remembered.</summary>
    New,

    /// <summary>Its id was seen before: dropped, its value never parsed.</summary>
    Duplicate,
}

/// <summary>A message as the consume thread hands it over: its parsed line (null: a duplicate, or malformed) and its event id.</summary>
public readonly record struct Received(ConsumeResult<byte[]?, byte[]> Result, ClickEvent? Click, byte[]? EventId, Admission Admission);

/// <summary>
/// Consume thread → bounded buffer → apply thread: the client's per-message cost and ours run on two cores
/// instead of one. Messages travel in batches (up to <see cref="BatchSize"/>, or what arrived within
/// <see cref="BatchLinger"/>), so the apply thread is woken per batch, not per message. Full buffer: the
/// consume thread waits (back-pressure, nothing dropped). Synchronous continuations let each side wake the
/// other directly, without the thread pool.
/// </summary>
public sealed class HandOver(PendingOffsets pending)
{
    public const int BatchSize = 512;
    public const int BufferedBatches = 32;
    public static readonly TimeSpan BatchLinger = TimeSpan.FromMilliseconds(5);

    private readonly Channel<List<Received>> _buffer = Channel.CreateBounded<List<Received>>(
        new BoundedChannelOptions(BufferedBatches)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
            AllowSynchronousContinuations = true,
        });

    public ChannelReader<List<Received>> Reader => _buffer.Reader;

    /// <summary>
    /// Waits for room. Counted as handed over once in the buffer: a revocation waits for these to be applied.
    /// Stopping while the buffer is full cancels the write, and a batch counted but never applied made the
    /// revocation in the close wait its full <see cref="ConsumerOptions.RevokeDrainTimeout"/> for it. Counting after the
    /// apply thread may already have applied it is fine: only the consume thread waits on the counts.
    /// </summary>
    public void Send(List<Received> batch, CancellationToken stoppingToken)
    {
        if (!_buffer.Writer.TryWrite(batch))
        {
            _buffer.Writer.WriteAsync(batch, stoppingToken).AsTask().GetAwaiter().GetResult();
        }

        pending.Enqueued(batch.Count);
    }

    /// <summary>Stopping: the last batch if there is room (else it is read again by the next process), then no more.</summary>
    public void Complete(List<Received> last)
    {
        if (last.Count > 0 && _buffer.Writer.TryWrite(last))
        {
            pending.Enqueued(last.Count);
        }

        _buffer.Writer.TryComplete();
    }
}
