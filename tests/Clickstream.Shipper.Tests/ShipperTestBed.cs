using Clickstream.Contracts;
using Clickstream.KafkaEmulator.Mock;
using Clickstream.Tests;

namespace Clickstream.Shipper.Tests;

/// <summary>
/// What every shipper test against the embedded broker needs: a fresh directory with <c>logs/</c> to tail
/// and <c>state/</c> for checkpoints, and a mock cluster whose <see cref="PipelineDefaults.Topic"/> topic has enough
/// partitions for the test's volume (the mock keeps 5 MiB per partition).
/// </summary>
public abstract class ShipperTestBed(string directoryPrefix, int partitions) : IAsyncLifetime
{
    private readonly TempDirectory _dir = TestEnvironment.CreateTempDirectory(directoryPrefix);

    protected KafkaMockCluster Cluster { get; private set; } = null!;

    protected string Logs => Path.Combine(_dir.Path, "logs");

    protected string State => Path.Combine(_dir.Path, "state");

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Logs);
        Cluster = KafkaMockCluster.Start();
        Cluster.CreateTopic(PipelineDefaults.Topic, partitions);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        _dir.Dispose();
    }
}
