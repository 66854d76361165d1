using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Clickstream.Contracts;
using Clickstream.KafkaEmulator.Mock;
using Clickstream.Pixel.Tests;
using Clickstream.Tests;
using Xunit.Abstractions;

namespace Clickstream.EndToEnd.Tests;

/// <summary>
/// Debian's logrotate against the real pixel processes (the Kestrel pixel, and nginx with the pixel's template) while
/// the real shipper tails their directory: hits in bursts, idle gaps longer than <c>Shipper:RotateWait</c> (1 s here),
/// a forced rotation in each gap. The README's recipes (<c>Clickstream.Pixel/logrotate/</c>) run as committed, with the
/// test's log path and nginx prefix; the other cases use a generated config with <c>rotate 2</c>, so the oldest files are
/// deleted too. Every hit the pixel answered must be on the topic exactly once (read with kcat), and no log file may
/// hold a NUL byte.
/// </summary>
public sealed class LogRotationTests(ITestOutputHelper output)
{
    private const int Rotations = 4;
    private const int HitsPerBurst = 300;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public enum PixelKind
    {
        Kestrel,
        Nginx,
    }

    public enum Rotation
    {
        /// <summary>rename + create, no postrotate script: the Kestrel pixel notices; nginx keeps writing the renamed file.</summary>
        Create,

        /// <summary>rename + create, then postrotate tells the writer to reopen (SIGHUP and SIGUSR1 in turn to the Kestrel pixel, SIGUSR1 to nginx).</summary>
        CreateAndReopen,

        /// <summary>copy, then truncate the file the writer keeps open.</summary>
        CopyTruncate,
    }

    [Theory]
    [InlineData(PixelKind.Kestrel, Rotation.Create)]
    [InlineData(PixelKind.Kestrel, Rotation.CreateAndReopen)]
    [InlineData(PixelKind.Kestrel, Rotation.CopyTruncate)]
    [InlineData(PixelKind.Nginx, Rotation.Create)]
    [InlineData(PixelKind.Nginx, Rotation.CreateAndReopen)]
    [InlineData(PixelKind.Nginx, Rotation.CopyTruncate)]
    public async Task Every_answered_hit_is_on_the_topic_exactly_once_across_logrotate_runs(PixelKind kind, Rotation rotation)
    {
        await using var cluster = KafkaMockCluster.Start();
        cluster.CreateTopic(PipelineDefaults.Topic, 4);
        using var directory = TestEnvironment.CreateTempDirectory("clickstream-logrotate");
        using var pixel = RotatedPixel.Start(kind, rotation, directory.Path, output);
        using var shipper = await ServiceProcess.StartAsync("Clickstream.Shipper", output, new()
        {
            ["Shipper__Paths__0"] = Path.Combine(Path.GetDirectoryName(pixel.LogFile)!, "*.log"),
            ["Shipper__StateDirectory"] = Path.Combine(directory.Path, "shipper"),
            ["Shipper__RotateWait"] = "00:00:01",
            ["Kafka__Topic"] = PipelineDefaults.Topic,
            ["ConnectionStrings__kafka"] = cluster.BootstrapServers,
        }, Patience);
        var shipperPort = shipper.Port;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var logrotate = new Logrotate(directory.Path, pixel.Config(rotation));

        var answered = new ConcurrentBag<int>();
        var next = 0;
        for (var round = 0; round <= Rotations; round++)
        {
            await BurstAsync(http, pixel.Port, answered, () => Interlocked.Increment(ref next));
            // The writer flushed and the shipper caught up: the rotation falls in an idle gap, as a cron job's would.
            var caughtUp = await TestEnvironment.EventuallyAsync(
                async () => await ServiceProcess.StatAsync(http, shipperPort, "linesAcked") >= answered.Count, Patience);
            Assert.True(caughtUp, $"{kind}/{rotation}, round {round}: the shipper acknowledged " +
                $"{await ServiceProcess.StatAsync(http, shipperPort, "linesAcked")} of {answered.Count} answered hits; shipper: {shipper.Output}");
            if (round == Rotations)
            {
                break;
            }

            var letGo = Count(shipper.Output, ReleasedMarker);
            logrotate.Run();
            if (rotation != Rotation.CopyTruncate)
            {
                // The gap outlasts RotateWait: the shipper lets the renamed file go before the next burst, which a writer
                // that did not reopen (nginx without postrotate) still appends to it.
                Assert.True(await TestEnvironment.EventuallyAsync(() => Count(shipper.Output, ReleasedMarker) > letGo, Patience),
                    $"{kind}/{rotation}, round {round}: the shipper never let the rotated file go; shipper: {shipper.Output}");
            }
        }

        var messages = await Kcat.ReadAllAsync(cluster.BootstrapServers, PipelineDefaults.Topic, Patience);
        var perHit = messages.GroupBy(m => ServiceProcess.HitId(m.Value)).ToDictionary(g => g.Key, g => g.Count());
        var files = Directory.GetFiles(Path.GetDirectoryName(pixel.LogFile)!);
        output.WriteLine($"{kind}/{rotation}: {Rotations} rotations, {answered.Count} hits answered, {messages.Count} messages on the topic " +
            $"({perHit.Count} distinct hits); files: {string.Join(", ", files.Select(f => $"{Path.GetFileName(f)} {new FileInfo(f).Length} B"))}");

        var missing = answered.Where(id => !perHit.ContainsKey(id)).Order().ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {answered.Count} answered hits are not on the topic " +
            $"(first: {string.Join(", ", missing.Take(10))}); shipper: {shipper.Output}");
        var twice = perHit.Where(h => h.Value > 1).Select(h => h.Key).Order().ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} hits are on the topic more than once (first: {string.Join(", ", twice.Take(10))})");
        Assert.Equal(answered.Count, messages.Count);
        Assert.All(files.Where(f => !f.EndsWith(".gz", StringComparison.Ordinal)),
            file => Assert.True(!File.ReadAllBytes(file).Contains((byte)0), $"{file} holds NUL bytes"));
        if (rotation == Rotation.CopyTruncate)
        {
            Assert.Equal(Rotations, Count(shipper.Output, TruncatedMarker));
        }
        else if (kind == PixelKind.Nginx && rotation == Rotation.Create)
        {
            // nginx never reopened: every burst after the first rotation went into the first file, renamed, then deleted.
            Assert.True(Count(shipper.Output, GrewAgainMarker) >= Rotations - 1, $"the parked file was not read again: {shipper.Output}");
        }
        else
        {
            // The writer reopened (by itself, or told by the postrotate script): it never appended to a rotated file again.
            Assert.Equal(0, Count(shipper.Output, GrewAgainMarker));
        }
    }

    // What the shipper logs when it stops reading a file no watched path names any more, when such a file grows again,
    // and when it finds a file truncated.
    private const string ReleasedMarker = "parked, read again if it grows";
    private const string GrewAgainMarker = "after it was parked";
    private const string TruncatedMarker = "was truncated (copytruncate";

    private static int Count(string text, string marker)
    {
        var count = 0;
        for (var at = text.IndexOf(marker, StringComparison.Ordinal); at >= 0; at = text.IndexOf(marker, at + marker.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>A burst of hits from four keep-alive clients; only hits answered 200 count.</summary>
    private static async Task BurstAsync(HttpClient http, int port, ConcurrentBag<int> answered, Func<int> nextId)
    {
        var remaining = HitsPerBurst;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                var id = nextId();
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/i?hit={id}"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    answered.Add(id);
                }
            }
        })));
    }

    /// <summary>The pixel under test, whichever server answers it.</summary>
    private sealed class RotatedPixel : IDisposable
    {
        // What the committed recipes name: the log, and the nginx prefix.
        private const string RecipeLog = "/var/log/clickstream/access.log";
        private const string RecipeNginxPrefix = "/var/lib/clickstream/nginx";

        private readonly IDisposable _server;
        private readonly PixelKind _kind;

        private RotatedPixel(IDisposable server, PixelKind kind, int port, string logFile, string reopenCommand)
        {
            _server = server;
            _kind = kind;
            Port = port;
            LogFile = logFile;
            ReopenCommand = reopenCommand;
        }

        public int Port { get; }

        public string LogFile { get; }

        /// <summary>What a postrotate script runs to make this server reopen its log.</summary>
        public string ReopenCommand { get; }

        /// <summary>
        /// The logrotate config for a rotation kind: the README's recipe where there is one (the Kestrel pixel without a
        /// postrotate script, nginx with its reopen signal), else one written here.
        /// </summary>
        public string Config(Rotation rotation)
        {
            var recipes = Path.Combine(DeploymentTests.RepositoryRoot, "Clickstream.Pixel", "logrotate");
            switch (_kind, rotation)
            {
                case (PixelKind.Kestrel, Rotation.Create):
                    return File.ReadAllText(Path.Combine(recipes, "kestrel")).Replace(RecipeLog, LogFile, StringComparison.Ordinal);
                case (PixelKind.Nginx, Rotation.CreateAndReopen):
                    return File.ReadAllText(Path.Combine(recipes, "nginx")).Replace(RecipeLog, LogFile, StringComparison.Ordinal)
                        .Replace(RecipeNginxPrefix, ((NginxServer)_server).Prefix, StringComparison.Ordinal);
            }

            var lines = new List<string> { $"{LogFile} {{", "    rotate 2", "    missingok", rotation == Rotation.CopyTruncate ? "    copytruncate" : "    create" };
            if (rotation == Rotation.CreateAndReopen)
            {
                lines.AddRange(["    postrotate", $"        {ReopenCommand}", "    endscript"]);
            }

            lines.Add("}");
            return string.Join('\n', lines) + "\n";
        }

        public static RotatedPixel Start(PixelKind kind, Rotation rotation, string directory, ITestOutputHelper output)
        {
            if (kind == PixelKind.Nginx)
            {
                var nginx = new NginxServer();
                return new RotatedPixel(nginx, kind, nginx.Port, nginx.LogFile, nginx.ReopenCommand);
            }

            var logs = Path.Combine(directory, "logs");
            var pixel = ServiceProcess.StartAsync("Clickstream.Pixel", output, new()
            {
                ["AccessLog__Directory"] = logs,
                // Told by the postrotate script: a flush interval beyond the test leaves only the signal to make it reopen.
                ["AccessLog__FlushInterval"] = rotation == Rotation.CreateAndReopen ? "01:00:00" : "00:00:00.250",
            }, Patience).GetAwaiter().GetResult();
            var port = pixel.Port;

            // SIGHUP and SIGUSR1 in turn, one per rotation: the pixel reopens on either.
            var turn = Path.Combine(directory, "sent-hup");
            var reopen = $"if [ -e {turn} ]; then rm {turn}; kill -USR1 {pixel.Pid}; else touch {turn}; kill -HUP {pixel.Pid}; fi";
            return new RotatedPixel(pixel, kind, port, Path.Combine(logs, "access.log"), reopen);
        }

        public void Dispose() => _server.Dispose();
    }

    /// <summary>Debian's logrotate with a generated config and its own state file, forced (<c>-f</c>) at each call.</summary>
    private sealed class Logrotate
    {
        private readonly string _config;
        private readonly string _state;

        public Logrotate(string directory, string config)
        {
            _config = Path.Combine(directory, "logrotate.conf");
            _state = Path.Combine(directory, "logrotate.state");
            File.WriteAllText(_config, config);
        }

        public static string Executable => File.Exists("/usr/sbin/logrotate") ? "/usr/sbin/logrotate" : "logrotate";

        public void Run()
        {
            var start = new ProcessStartInfo(Executable, ["-f", "-s", _state, _config]) { RedirectStandardError = true, RedirectStandardOutput = true };
            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new InvalidOperationException("logrotate is not installed: run the README's test command (./test.sh), which installs it.", ex);
            }

            using (process)
            {
                var error = process.StandardError.ReadToEnd();
                process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                Assert.True(process.ExitCode == 0, $"logrotate exited with {process.ExitCode}: {error}");
            }
        }
    }
}
