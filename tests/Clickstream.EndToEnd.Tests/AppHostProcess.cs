using System.Diagnostics;

namespace Clickstream.EndToEnd.Tests;

/// <summary>Runs the built AppHost as a child process, the way a user's <c>dotnet run</c> does, for start-up and publishing checks.</summary>
internal static class AppHostProcess
{
    public static string DllPath
    {
        get
        {
            // tests/…/bin/<Configuration>/net10.0/ → the AppHost's bin/<Configuration>/net10.0/.
            var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var configuration = framework.Parent!.Name;
            // The generated metadata names the project file or, for the AppHost itself, its directory.
            var project = Projects.Clickstream_AppHost.ProjectPath;
            if (project.EndsWith(".csproj", StringComparison.Ordinal))
            {
                project = Path.GetDirectoryName(project)!;
            }

            return Path.Combine(project, "bin", configuration, framework.Name, "Clickstream.AppHost.dll");
        }
    }

    public sealed record Result(int ExitCode, string Output, string Error);

    public static async Task<Result> RunAsync(IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        // The dotnet CLI names itself in DOTNET_HOST_PATH; resolved here, so the child's PATH can be emptied to hide tools.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(DllPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The AppHost did not exit within 2 minutes: {await output}");
        }

        return new Result(process.ExitCode, await output, await error);
    }
}
