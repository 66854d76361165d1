using Clickstream.Tests;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Clickstream.Pixel.Tests;

/// <summary>The pixel in-process, logging to a fresh directory.</summary>
public sealed class PixelFactory(IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    private readonly TempDirectory _logs = TestEnvironment.CreateTempDirectory("clickstream-pixel");

    public string LogFile => Path.Combine(_logs.Path, "access.log");

    public string LogDirectory => _logs.Path;

    /// <summary>Replaces the pixel's <see cref="TimeProvider"/> (null: the system's).</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>Serves on a real Kestrel socket (for raw bytes, limits, peer addresses) instead of the in-memory server.</summary>
    public int StartKestrel()
    {
        // Port 0: Kestrel binds a free port and keeps it, so no other process can take it in between.
        UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new Uri(address).Port;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("AccessLog:Directory", _logs.Path);
        if (Time is { } time)
        {
            builder.ConfigureTestServices(services => services.AddSingleton(time));
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>The log's lines once it holds at least <paramref name="count"/> (the writer flushes within 250 ms).</summary>
    public async Task<string[]> WaitForLinesAsync(int count)
    {
        string[] lines = [];
        await TestEnvironment.EventuallyAsync(() =>
        {
            lines = File.Exists(LogFile) ? ReadShared(LogFile) : [];
            return lines.Length >= count;
        }, TimeSpan.FromSeconds(10));
        return lines;
    }

    public static string[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _logs.Dispose();
    }
}
