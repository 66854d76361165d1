using System.Diagnostics;
using System.Net.Http.Json;
using Clickstream.Contracts;
using Clickstream.Tests;

namespace Clickstream.Shipper.Tests;

/// <summary>
/// The shipper as operators run it: <c>dotnet Clickstream.Shipper.dll</c> from its build output, in its
/// own process, configured by environment variables, so a test can SIGKILL it.
/// </summary>
internal sealed class ShipperProcess : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Process _process;
    private readonly Queue<string> _output = new();

    public ShipperProcess(IDictionary<string, string> settings)
    {
        Port = TestEnvironment.FreeTcpPort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(DllPath)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(DllPath);
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Port}";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Clickstream.Shipper.Tailing.TailCoordinator"] = "Information";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The shipper's build output, next to the tests' (same configuration).</summary>
    public static string DllPath { get; } = Locate();

    public int Port { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process printed, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public async Task<ShipperStats?> StatsAsync()
    {
        try
        {
            return await Http.GetFromJsonAsync<ShipperStats>($"http://127.0.0.1:{Port}{StageStats.Path}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>SIGKILL: no shutdown hook, no flush, no last checkpoint.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(); // SIGKILL on Unix
        }

        _process.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > 40)
            {
                _output.Dequeue();
            }
        }
    }

    private static string Locate()
    {
        // tests/Clickstream.Shipper.Tests/bin/<Configuration>/<tfm>/ → Clickstream.Shipper/bin/<Configuration>/<tfm>/
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = here.Name;
        var configuration = here.Parent!.Name;
        var root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Clickstream.sln")))
        {
            root = root.Parent;
        }

        if (root is null)
        {
            throw new InvalidOperationException($"Cannot find the repository above {AppContext.BaseDirectory}.");
        }

        var dll = Path.Combine(root.FullName, "Clickstream.Shipper", "bin", configuration, tfm, "Clickstream.Shipper.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"The shipper is not built at {dll}.");
    }
}

