using System.Text;
using Clickstream.Pixel.AccessLog;
using Clickstream.Pixel.Hits;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class PixelExtensions
{
    public static IHostApplicationBuilder AddPixel(this IHostApplicationBuilder builder)
    {
        // A hit's trace is ASP.NET Core's request span; the pixel adds only its meter.
        builder.AddTelemetry(meters: [Clickstream.Pixel.PixelTelemetry.MeterName], activitySources: []);
        builder.Services.AddOptions<PixelOptions>()
            .BindConfiguration(PixelOptions.SectionName)
            .Validate(o => o.TrustedProxies.All(p => Try(() => ClientAddress.ParseNetwork(p))), "Pixel:TrustedProxies holds an entry that is neither an address nor a CIDR range.")
            .Validate(o => o.CookieName.Length > 0 && o.CookieName.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'), "Pixel:CookieName may only hold letters, digits and '_' (as the nginx template).")
            .ValidateOnStart();
        builder.Services.AddOptions<AccessLogOptions>()
            .BindConfiguration(AccessLogOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<AccessLogClock>();
        builder.Services.AddSingleton<AccessLogWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AccessLogWriter>());
        builder.Services.AddHostedService<KestrelRejectionLogger>();
        builder.Services.Configure<KestrelServerOptions>(kestrel =>
        {
            // One char per received byte: the log writer checks the bytes for UTF-8 itself and writes them as nginx
            // does, instead of Kestrel refusing (ASCII) or silently replacing (UTF-8) what a browser sent.
            kestrel.RequestHeaderEncodingSelector = _ => Encoding.Latin1;
            kestrel.AddServerHeader = false;
            // The 8 KiB limits of nginx are enforced by the pixel (414, 400) so those answers are logged; Kestrel's
            // own, which answer before any middleware, only catch what is far beyond them.
            kestrel.Limits.MaxRequestLineSize = 64 * 1024;
            kestrel.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
        });
        builder.Services.Configure<SocketTransportOptions>(sockets =>
            // The pixel never blocks (the log line is queued, never awaited), so socket completions may run the
            // request inline on the I/O thread instead of hopping through the thread pool: fewer context switches,
            // which is most of the cost on one core. Pixel:InlineScheduling=false turns it off.
            sockets.UnsafePreferInlineScheduling = builder.Configuration.GetValue("Pixel:InlineScheduling", true));
        return builder;
    }

    private static bool Try(Action action)
    {
        try
        {
            action();
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
