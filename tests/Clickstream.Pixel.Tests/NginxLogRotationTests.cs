using Clickstream.Contracts;
using Clickstream.Tests;

namespace Clickstream.Pixel.Tests;

public sealed class NginxLogRotationTests
{
    [Fact]
    public async Task Nginx_writes_to_the_renamed_file_until_reopened_then_to_a_new_access_log()
    {
        using var nginx = new NginxServer();
        await HitAsync(nginx.Port, "/i?before");
        Assert.True(await TestEnvironment.EventuallyAsync(() => LogLines.Read(nginx.LogFile).Count == 1, TimeSpan.FromSeconds(5)));

        var rotated = Path.ChangeExtension(nginx.LogFile, ".1.log");
        File.Move(nginx.LogFile, rotated);
        await HitAsync(nginx.Port, "/i?between");
        nginx.Reopen();
        // `nginx -s reopen` returns once the master is signalled; its worker reopens a moment later, so a hit may
        // still land in the renamed file: hit until one reaches the new file.
        Assert.True(await TestEnvironment.EventuallyAsync(async () =>
        {
            await HitAsync(nginx.Port, "/i?after");
            return LogLines.Read(nginx.LogFile).Count > 0;
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)), "no new access.log after reopen");

        var old = LogLines.Read(rotated).Select(PathOf).ToList();
        Assert.Equal(["/i?before", "/i?between"], old.Take(2));
        Assert.All(old.Skip(2), path => Assert.Equal("/i?after", path));
        Assert.All(LogLines.Read(nginx.LogFile).Select(PathOf), path => Assert.Equal("/i?after", path));
    }

    private static string PathOf(byte[] line) => LogLines.Parse(line).Single(f => f.Key == AccessLogFields.Path).Value;

    private static async Task HitAsync(int port, string target) =>
        Assert.Equal(200, (await RawHttp.SendAsync(port, RawHttp.Request("GET", target)))!.Status);
}
