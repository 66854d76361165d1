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
        await HitAsync(nginx.Port, "/i?after");

        Assert.True(await TestEnvironment.EventuallyAsync(() => LogLines.Read(nginx.LogFile).Count == 1, TimeSpan.FromSeconds(5)), "no new access.log after reopen");
        Assert.Equal(["/i?before", "/i?between"], LogLines.Read(rotated).Select(l => LogLines.Parse(l).Single(f => f.Key == "path").Value));
        Assert.Equal("/i?after", LogLines.Parse(LogLines.Read(nginx.LogFile)[0]).Single(f => f.Key == "path").Value);
    }

    private static async Task HitAsync(int port, string target) =>
        Assert.Equal(200, (await RawHttp.SendAsync(port, RawHttp.Request("GET", target)))!.Status);
}
