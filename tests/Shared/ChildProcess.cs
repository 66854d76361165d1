using System.Diagnostics;

namespace Clickstream.Tests;

/// <summary>
/// A service as operators run it: <c>dotnet Service.dll</c> in its own process, configured by environment
/// variables, its last lines kept for failure messages, so a test can SIGKILL it.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private const int LinesKept = 40;
    private readonly Process _process;
    private readonly Queue<string> _output = new();
    private readonly Action<string>? _onLine;
    private int _listeningPort;

    /// <param name="onLine">Sees every line the process prints (stdout and stderr), on the reader's thread.</param>
    public ChildProcess(string dll, IEnumerable<KeyValuePair<string, string>> environment, Action<string>? onLine = null)
    {
        _onLine = onLine;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(dll);
        // Not the test host's exporter (set when the tests run under Aspire): a service run alone registers none.
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    /// <summary>
    /// The port Kestrel said it listens on ("Now listening on: http://127.0.0.1:N", logged by
    /// <c>Microsoft.Hosting.Lifetime</c>); 0 before. Started with <c>ASPNETCORE_URLS=http://127.0.0.1:0</c>, a
    /// service binds a free port and keeps it, so no other process can take it in between.
    /// </summary>
    public int ListeningPort => Volatile.Read(ref _listeningPort);

    /// <summary>The last lines the process printed.</summary>
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

    /// <summary>SIGKILL: no shutdown hook, no flush, no last checkpoint.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
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

        const string listening = "Now listening on: http://127.0.0.1:";
        if (line.IndexOf(listening, StringComparison.Ordinal) is var at and >= 0
            && int.TryParse(line.AsSpan(at + listening.Length).TrimEnd(), out var port))
        {
            Volatile.Write(ref _listeningPort, port);
        }

        _onLine?.Invoke(line);
        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > LinesKept)
            {
                _output.Dequeue();
            }
        }
    }
}
