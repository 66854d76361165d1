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
    private readonly ChildProcess _process;

    public ShipperProcess(IDictionary<string, string> settings)
    {
        var environment = new Dictionary<string, string>
        {
            // Port 0: Kestrel picks a free port and keeps it (no window in which another process takes it), and says which.
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
            ["Logging__LogLevel__Clickstream.Shipper.Tailing.TailCoordinator"] = "Information",
        };
        foreach (var (key, value) in settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        _process = new ChildProcess(DllPath, environment);
    }

    /// <summary>The shipper's build output, next to the tests' (same configuration).</summary>
    public static string DllPath { get; } = Locate();

    /// <summary>Where it answers <c>/stats</c>, once Kestrel has said so ("Now listening on: …"); 0 before.</summary>
    public int Port => _process.ListeningPort;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process printed, for failure messages.</summary>
    public string Output => _process.Output;

    public async Task<ShipperStats?> StatsAsync()
    {
        if (Port == 0)
        {
            return null;
        }

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
    public void Kill() => _process.Kill();

    public ValueTask DisposeAsync() => _process.DisposeAsync();

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

