using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Clickstream.EndToEnd.Tests;

/// <summary>The Azure side compiles and holds what the services rely on.</summary>
public sealed class DeploymentTests
{
    private static string RepositoryRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Clickstream.sln")))
            {
                directory = directory.Parent;
            }

            return directory?.FullName ?? throw new InvalidOperationException("Clickstream.sln not found above the test binaries.");
        }
    }

    private static string Bicep
    {
        get
        {
            var root = typeof(DeploymentTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "NuGetPackageRoot").Value!;
            return Path.Combine(root, "azure.bicep.commandline.linux-x64", "0.49.2", "tools", "bicep");
        }
    }

    [Fact]
    public async Task Infra_compiles_to_an_event_hubs_namespace_with_the_hub_rules_identities_and_roles()
    {
        var start = new ProcessStartInfo(Bicep, ["build", Path.Combine(RepositoryRoot, "infra", "main.bicep"), "--stdout"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (!OperatingSystem.IsWindows())
        {
            // NuGet extracts the compiler without its execute bit.
            File.SetUnixFileMode(Bicep, File.GetUnixFileMode(Bicep) | UnixFileMode.UserExecute);
        }

        using var bicep = Process.Start(start)!;
        var output = bicep.StandardOutput.ReadToEndAsync();
        var errors = bicep.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await bicep.WaitForExitAsync(timeout.Token);
        Assert.True(bicep.ExitCode == 0, await errors);
        Assert.DoesNotContain("Warning", await errors);

        var template = await output;
        using var json = JsonDocument.Parse(template);
        Assert.Contains("Microsoft.EventHub/namespaces/eventhubs", template);
        Assert.Contains("'Standard'", template.Replace("\"Standard\"", "'Standard'"));
        Assert.Contains("2b629674-e913-4c01-ae53-ef4638d8f975", template); // Data Sender
        Assert.Contains("a638d3c7-ab3a-418d-83e6-5f17a39d4fde", template); // Data Receiver
        Assert.Contains("\"Send\"", template);
        Assert.Contains("\"Listen\"", template);
        Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", template);
    }

    [Fact]
    public void Azd_finds_the_apphost_and_the_infra()
    {
        var azure = File.ReadAllText(Path.Combine(RepositoryRoot, "azure.yaml"));
        Assert.Contains("project: ./Clickstream.AppHost/Clickstream.AppHost.csproj", azure);
        Assert.True(File.Exists(Path.Combine(RepositoryRoot, "Clickstream.AppHost", "Clickstream.AppHost.csproj")));
        Assert.Contains("path: infra", azure);
    }
}
