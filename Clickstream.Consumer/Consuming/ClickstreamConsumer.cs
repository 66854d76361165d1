namespace Clickstream.Consumer.Consuming;

/// <summary>
/// The consumer service: at-least-once (an offset is stored only after its event was applied; the client
/// commits stored offsets), duplicates dropped by the shipper's event id before their value is read. Two
/// threads: the consume thread (<see cref="ConsumeLoop"/>) polls, deduplicates, parses and hands over through
/// a bounded buffer (<see cref="HandOver"/>); the apply thread (<see cref="EventApplier"/>) applies, checkpoints
/// and stores offsets. Rebalances are <see cref="RebalanceHandler"/>'s.
/// </summary>
public sealed class ClickstreamConsumer(ConsumeLoop loop, EventApplier applier) : BackgroundService
{
    public const string ActivitySourceName = "Clickstream.Consumer";

    // Both loops block, so each has a thread of its own: on a 2-core box the thread pool starts with two
    // threads, and two loops parked on them starve everything else (and each other's wake-ups).
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        applier.Restore();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var applyThread = new Thread(() => applier.Run(stoppingToken)) { IsBackground = true, Name = "clickstream-apply" };
        var consumeThread = new Thread(() =>
        {
            try
            {
                try
                {
                    loop.Run(stoppingToken);
                }
                finally
                {
                    // The buffer is complete: the apply thread ends after its last checkpoint; then what it applied
                    // is committed and the group left.
                    applyThread.Join();
                    loop.Close();
                }

                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        }) { IsBackground = true, Name = "clickstream-consume" };
        applyThread.Start();
        consumeThread.Start();
        return done.Task;
    }
}
