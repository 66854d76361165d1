using System.Diagnostics;
using System.Net.Sockets;
using Azure.Storage.Blobs;
using Clickstream.Consumer.Checkpoints;
using Clickstream.Consumer.Stats;
using Clickstream.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Clickstream.Consumer.Tests;

/// <summary>Azurite (npm <c>azurite</c>, installed by test.sh), the Azure Storage emulator, on a free port with its data in a temp directory.</summary>
internal sealed class Azurite : IAsyncDisposable
{
    // Azurite's documented development account: public, the same on every machine.
    private const string Account = "devstoreaccount1";
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly TempDirectory _data = TestEnvironment.CreateTempDirectory("clickstream-azurite");
    private readonly Process _process;
    private readonly int _port = TestEnvironment.FreeTcpPort();

    private Azurite()
    {
        var start = new ProcessStartInfo("azurite-blob") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["--silent", "--skipApiVersionCheck", "--loose", "--blobHost", "127.0.0.1", "--blobPort", $"{_port}", "--location", _data.Path])
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            _process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("azurite-blob is not installed: run ./test.sh (npm install -g azurite).", ex);
        }
    }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};BlobEndpoint=http://127.0.0.1:{_port}/{Account};";

    public static async Task<Azurite> StartAsync()
    {
        var azurite = new Azurite();
        var listening = await TestEnvironment.EventuallyAsync(async () =>
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", azurite._port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60));
        return listening ? azurite : throw new InvalidOperationException("Azurite did not listen within 60 s.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _data.Dispose();
    }
}

public sealed class AzuriteTests
{
    [Fact]
    public async Task Checkpoints_in_Blob_Storage_restore_exactly_and_a_killed_upload_leaves_no_partial_blob()
    {
        await using var azurite = await Azurite.StartAsync();
        await using var topic = new TopicFixture();
        topic.ProduceHits(0, 500);
        topic.Flush();
        var blob = new Dictionary<string, string?>
        {
            ["Checkpoints:BlobConnectionString"] = azurite.ConnectionString,
            ["Checkpoints:BlobContainer"] = "checkpoints",
        };

        var first = CheckpointRestartTests.Start(topic.BootstrapServers, null, blob);
        Assert.True(await TestEnvironment.EventuallyAsync(() => first.Services.GetRequiredService<LiveStats>().TotalEvents == 500, TimeSpan.FromSeconds(60)));
        await first.StopAsync();
        first.Dispose();

        var container = new BlobContainerClient(azurite.ConnectionString, "checkpoints");
        var names = container.GetBlobs().Select(b => b.Name).ToList();
        Assert.Contains(names, n => CheckpointFormat.SequenceOf(n) is not null);

        topic.ProduceHits(500, 700);
        topic.Flush();
        var second = CheckpointRestartTests.Start(topic.BootstrapServers, null, blob);
        Assert.True(await TestEnvironment.EventuallyAsync(() => second.Services.GetRequiredService<LiveStats>().TotalEvents == 700, TimeSpan.FromSeconds(60)));
        var status = second.Services.GetRequiredService<StateCheckpointer>().Status();
        Assert.Equal(500, status.RestoredPosition);
        Assert.StartsWith("http://127.0.0.1:", status.Location, StringComparison.Ordinal);
        Assert.DoesNotContain("AccountKey", status.Location, StringComparison.Ordinal);
        Assert.Equal(0, second.Services.GetRequiredService<LiveStats>().Snapshot().DuplicatesDropped);
        await second.StopAsync();
        second.Dispose();

        // An upload killed after 6 of 12 MiB (staged blocks, never committed): the old blob stays whole, a new name never appears.
        var store = new BlobCheckpointStore(container);
        var whole = Enumerable.Range(0, 12 << 20).Select(i => (byte)i).ToArray();
        store.Write("big.ckpt", whole);
        Assert.ThrowsAny<Exception>(() => store.Write("big.ckpt", new DyingStream(new byte[12 << 20], 6 << 20)));
        Assert.ThrowsAny<Exception>(() => store.Write("new.ckpt", new DyingStream(new byte[12 << 20], 6 << 20)));
        Assert.Equal(whole, store.Read("big.ckpt"));
        Assert.DoesNotContain("new.ckpt", store.List());
        Assert.Null(store.Read("new.ckpt"));
    }

    /// <summary>A source that dies after <c>limit</c> bytes, like a writer killed mid-upload.</summary>
    private sealed class DyingStream(byte[] data, int limit) : MemoryStream(data, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count) =>
            Position >= limit ? throw new IOException("killed") : base.Read(buffer, offset, (int)Math.Min(count, limit - Position));

        public override int Read(Span<byte> buffer) =>
            Position >= limit ? throw new IOException("killed") : base.Read(buffer[..(int)Math.Min(buffer.Length, limit - Position)]);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer, offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));
    }
}
