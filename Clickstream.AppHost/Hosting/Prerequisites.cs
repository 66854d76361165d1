using System.Diagnostics;

namespace Aspire.Hosting;

/// <summary>What the machine has, asked once at start-up so a mode that cannot work fails at once, not after a time-out.</summary>
public interface IPrerequisites
{
    /// <summary>True when a Docker (or compatible) engine answers, not merely the CLI.</summary>
    bool HasContainerEngine();

    /// <summary>The full path of an executable on PATH (or in /usr/sbin), or null.</summary>
    string? FindExecutable(string name);
}

public sealed class MachinePrerequisites : IPrerequisites
{
    public bool HasContainerEngine()
    {
        try
        {
            using var docker = Process.Start(new ProcessStartInfo("docker", ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (docker is null)
            {
                return false;
            }

            // The CLI alone answers quickly with an error; a hung engine socket must not hang the AppHost.
            if (!docker.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                docker.Kill(entireProcessTree: true);
                return false;
            }

            return docker.ExitCode == 0 && !string.IsNullOrWhiteSpace(docker.StandardOutput.ReadToEnd());
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public string? FindExecutable(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin")
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
    }
}
