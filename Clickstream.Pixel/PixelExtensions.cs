using System.Text;
using Clickstream.Pixel.AccessLog;
using Clickstream.Pixel.Hits;

namespace Microsoft.Extensions.Hosting;

public static class PixelExtensions
{
    public static IHostApplicationBuilder AddPixel(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PixelOptions>().BindConfiguration(PixelOptions.SectionName);
        builder.Services.AddOptions<AccessLogOptions>()
            .BindConfiguration(AccessLogOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<AccessLogWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AccessLogWriter>());
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(kestrel =>
        {
            // Browsers send raw bytes in Referer and User-Agent; decode them leniently (invalid UTF-8
            // becomes U+FFFD) instead of refusing the hit.
            kestrel.RequestHeaderEncodingSelector = _ => Encoding.UTF8;
            kestrel.AddServerHeader = false;
        });
        return builder;
    }
}
