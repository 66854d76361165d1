using Clickstream.Tests;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Clickstream.Pixel.Tests;

/// <summary>The pixel in-process, logging to a fresh directory.</summary>
public sealed class PixelFactory : WebApplicationFactory<Program>
{
    private readonly TempDirectory _logs = TestEnvironment.CreateTempDirectory("clickstream-pixel");

    public string LogFile => Path.Combine(_logs.Path, "access.log");

    protected override void ConfigureWebHost(IWebHostBuilder builder) =>
        builder.UseSetting("AccessLog:Directory", _logs.Path);

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

    private static string[] ReadShared(string path)
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
