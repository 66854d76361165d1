using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Clickstream.Contracts;
using Xunit.Abstractions;

namespace Clickstream.EndToEnd.Tests;

/// <summary>One service as its container runs it: <c>dotnet Service.dll</c>, configured by environment variables.</summary>
internal sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public bool HasExited => _process.HasExited;

    public int Pid => _process.Id;

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

    public static ServiceProcess Start(string project, int port, ITestOutputHelper log, Dictionary<string, string> environment)
    {
        // The service's build output next to this test's (tests/…/bin/<Configuration>/net10.0 → <Project>/bin/<Configuration>/net10.0).
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dll = Path.Combine(DeploymentTests.RepositoryRoot, project, "bin", framework.Parent!.Name, framework.Name, project + ".dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll),
        };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var service = new ServiceProcess(project, process);
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        log.WriteLine($"{project}: pid {process.Id}, port {port}");
        return service;
    }

    /// <summary>SIGTERM to every given process in one call, as the platform stops a replica.</summary>
    public static void Terminate(params ServiceProcess[] services)
    {
        using var kill = Process.Start("kill", ["-TERM", .. services.Select(s => s._process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
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
        catch (HttpRequestException)
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

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
