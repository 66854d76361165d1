using System.IO.Compression;
using System.Threading.Channels;
using Clickstream.Consumer.Consuming;
using Microsoft.Extensions.Options;

namespace Clickstream.Consumer.Sink;

/// <summary>
/// Optional batch-analytics sink (the seed's blob dump): every applied event's line is appended to
/// <c>yyyy/MM/dd/HH.jsonl</c> (UTC hour of applying) under <see cref="ConsumerOptions.SinkDirectory"/>;
/// when the hour changes the closed file is gzipped to <c>HH.jsonl.gz</c>. Lines reach the file through
/// a bounded channel that blocks the apply thread when full; the file is flushed once a second, so a
/// crash may lose up to a second of sink lines (the aggregates are unaffected).
/// </summary>
public sealed partial class HourlyJsonlSink(IOptions<ConsumerOptions> options, TimeProvider time, ILogger<HourlyJsonlSink> logger)
    : BackgroundService
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly Channel<byte[]> _lines = Channel.CreateBounded<byte[]>(
        new BoundedChannelOptions(65_536) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true, SingleWriter = true });

    public bool Enabled => !string.IsNullOrWhiteSpace(options.Value.SinkDirectory);

    /// <summary>Called from the apply thread; waits when the writer is behind.</summary>
    public void Write(byte[] line, CancellationToken cancellationToken)
    {
        if (Enabled && !_lines.Writer.TryWrite(line))
        {
            _lines.Writer.WriteAsync(line, cancellationToken).AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>The file an event applied at <paramref name="at"/> goes to, relative to the sink directory.</summary>
    public static string RelativePath(DateTimeOffset at) => Path.Combine(at.UtcDateTime.ToString("yyyy/MM/dd/HH", System.Globalization.CultureInfo.InvariantCulture) + ".jsonl");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        var root = Path.GetFullPath(options.Value.SinkDirectory!);
        string? currentPath = null;
        FileStream? file = null;
        try
        {
            while (await WaitAsync(stoppingToken))
            {
                var path = Path.Combine(root, RelativePath(time.GetUtcNow()));
                if (path != currentPath)
                {
                    if (file is not null)
                    {
                        await file.DisposeAsync();
                        await CompressAsync(currentPath!, stoppingToken);
                    }

                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024);
                    currentPath = path;
                }

                while (_lines.Reader.TryRead(out var line))
                {
                    await file!.WriteAsync(line, stoppingToken);
                    await file.WriteAsync(NewLine, stoppingToken);
                }

                await file!.FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (file is not null)
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    file.Write(line);
                    file.Write(NewLine);
                }

                await file.DisposeAsync();
            }
        }
    }

    /// <summary>Waits for lines, waking at least once a second so a closed hour is compressed.</summary>
    private async Task<bool> WaitAsync(CancellationToken stoppingToken)
    {
        using var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        tick.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            return await _lines.Reader.WaitToReadAsync(tick.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return true;
        }
    }

    private async Task CompressAsync(string path, CancellationToken cancellationToken)
    {
        var gz = path + ".gz";
        var temp = gz + ".tmp";
        await using (var source = File.OpenRead(path))
        await using (var target = File.Create(temp))
        await using (var zip = new GZipStream(target, CompressionLevel.Optimal))
        {
            await source.CopyToAsync(zip, cancellationToken);
        }

        File.Move(temp, gz, overwrite: true);
        File.Delete(path);
        LogCompressed(gz);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed hour compressed to {Path}")]
    private partial void LogCompressed(string path);
}
