using System.Diagnostics;
using System.Net.Sockets;
using Clickstream.Contracts.Nginx;
using Clickstream.Tests;

namespace Clickstream.Pixel.Tests;

/// <summary>Real nginx (the Debian package) with the rendered pixel template, on a free port, in a temp prefix.</summary>
internal sealed class NginxServer : IDisposable
{
    private readonly TempDirectory _prefix = TestEnvironment.CreateTempDirectory("clickstream-nginx");
    private readonly Process _process;
    private readonly Task<string> _stderr;
    private readonly string _config;

    public NginxServer(Func<NginxPixelSettings, NginxPixelSettings>? configure = null)
    {
        var logs = Directory.CreateDirectory(Path.Combine(_prefix.Path, "logs")).FullName;
        LogFile = Path.Combine(logs, "access.log");
        _config = Path.Combine(_prefix.Path, "nginx.conf");
        // nginx cannot report a port 0 back: it gets a port found free, and another one if that was taken meanwhile.
        for (var attempt = 1; ; attempt++)
        {
            Port = TestEnvironment.FreeTcpPort();
            var settings = new NginxPixelSettings(_prefix.Path, Port, LogFile,
                TrackerScript: File.ReadAllText(Path.Combine(AppContext.BaseDirectory, NginxConfig.TrackerScriptFile)));
            settings = configure?.Invoke(settings) ?? settings;
            File.WriteAllText(_config, NginxConfig.Render(settings));

            var start = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in NginxConfig.Arguments(_prefix.Path, _config))
            {
                start.ArgumentList.Add(argument);
            }

            try
            {
                _process = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new InvalidOperationException("nginx is not installed: run the README's test command (./test.sh), which installs it.", ex);
            }

            _stderr = _process.StandardError.ReadToEndAsync();
            _ = _process.StandardOutput.ReadToEndAsync();
            var up = TestEnvironment.EventuallyAsync(() => !_process.HasExited && Accepts(Port), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50)).GetAwaiter().GetResult();
            if (up)
            {
                return;
            }

            _process.Kill(entireProcessTree: true);
            var error = _stderr.GetAwaiter().GetResult();
            _process.Dispose();
            if (attempt < 5 && error.Contains("Address already in use", StringComparison.Ordinal))
            {
                continue;
            }

            throw new InvalidOperationException($"nginx did not start: {error}");
        }
    }

    public static string Executable => File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";

    public int Port { get; }

    /// <summary>nginx's prefix (<c>-p</c>): its pid file is <c>nginx.pid</c> there.</summary>
    public string Prefix => _prefix.Path;

    public string LogFile { get; }

    /// <summary>The same as a shell command, for a logrotate <c>postrotate</c> script.</summary>
    public string ReopenCommand => $"{Executable} {string.Join(' ', ReopenArguments)}";

    private string[] ReopenArguments => ["-p", _prefix.Path, "-c", _config, "-s", "reopen"];

    /// <summary><c>nginx -s reopen</c>: what a log rotator runs after renaming the file.</summary>
    public void Reopen()
    {
        var start = new ProcessStartInfo(Executable) { RedirectStandardError = true };
        foreach (var argument in ReopenArguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var signal = Process.Start(start)!;
        var error = signal.StandardError.ReadToEnd();
        signal.WaitForExit();
        Assert.True(signal.ExitCode == 0, error);
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // SIGKILL to the master alone would orphan the worker, which keeps the port and the log open.
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
        _prefix.Dispose();
    }
}
