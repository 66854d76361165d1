using System.Text;
using System.Text.Json;
using Clickstream.Contracts;
using Clickstream.Tests;
using Xunit.Abstractions;

namespace Clickstream.EndToEnd.Tests;

/// <summary>
/// One service as its container runs it (<see cref="ChildProcess"/>: <c>dotnet Service.dll</c>, configured by
/// environment variables), on a port it binds itself, with everything it printed kept for the tests that count
/// its log lines.
/// </summary>
internal sealed class ServiceProcess : IDisposable
{
    private readonly ChildProcess _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(string dll, Dictionary<string, string> environment)
    {
        _process = new ChildProcess(dll, environment, Append);
    }

    public bool HasExited => _process.HasExited;

    public int Pid => _process.Id;

    /// <summary>Where it listens, once Kestrel has said so; 0 before (see <see cref="StartAsync"/>).</summary>
    public int Port => _process.ListeningPort;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts the service on port 0 (Kestrel binds a free port and keeps it: no window in which another process takes
    /// it) and waits until it has said which port and answers <c>/health</c> there.
    /// </summary>
    public static async Task<ServiceProcess> StartAsync(string project, ITestOutputHelper log, Dictionary<string, string> environment, TimeSpan patience)
    {
        // The service's build output next to this test's (tests/…/bin/<Configuration>/net10.0 → <Project>/bin/<Configuration>/net10.0).
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dll = Path.Combine(DeploymentTests.RepositoryRoot, project, "bin", framework.Parent!.Name, framework.Name, project + ".dll");
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            // The line that names the port.
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
        };
        foreach (var (key, value) in environment)
        {
            settings[key] = value;
        }

        var service = new ServiceProcess(dll, settings);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var up = await TestEnvironment.EventuallyAsync(async () => service.HasExited || (service.Port != 0 && await IsHealthyAsync(http, service.Port)), patience);
        if (!up || service.HasExited)
        {
            service.Dispose();
            throw new InvalidOperationException($"{project} did not answer /health (port {service.Port}): {service.Output}");
        }

        log.WriteLine($"{project}: pid {service.Pid}, port {service.Port}");
        return service;
    }

    /// <summary>SIGTERM to every given process in one call, as the platform stops a replica.</summary>
    public static void Terminate(params ServiceProcess[] services)
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-TERM", .. services.Select(s => s.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        kill.WaitForExit();
    }

    /// <summary>N of a test hit <c>/i?…hit=N</c> in an access-log line.</summary>
    public static int HitId(string line)
    {
        var path = JsonDocument.Parse(line).RootElement.GetProperty(AccessLogFields.Path).GetString()!;
        return int.Parse(path[(path.IndexOf("hit=", StringComparison.Ordinal) + 4)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<bool> IsHealthyAsync(HttpClient http, int port)
    {
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health"));
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>One counter of a service's <c>GET /stats</c>.</summary>
    public static async Task<long> StatAsync(HttpClient http, int port, string counter)
    {
        using var stats = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/stats")));
        return stats.RootElement.GetProperty(counter).GetInt64();
    }

    private void Append(string line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public void Dispose() => _process.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
