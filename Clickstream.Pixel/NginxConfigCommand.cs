using System.Globalization;
using Clickstream.Contracts.Nginx;

namespace Clickstream.Pixel;

/// <summary>
/// <c>Clickstream.Pixel nginx-config PREFIX PORT LOG_PATH [Section:Key=value …]</c> prints the rendered nginx
/// configuration (used by <c>bench/pixel.sh</c>); the optional keys are the <c>Pixel</c> options' names
/// (<c>TruncateClientIp=true</c>, <c>TrustedProxies=10.0.0.0/8,127.0.0.1</c>, …).
/// </summary>
internal static class NginxConfigCommand
{
    public static bool TryRun(string[] args)
    {
        if (args is not ["nginx-config", var prefix, var port, var logPath, .. var rest])
        {
            return false;
        }

        var settings = new NginxPixelSettings(Path.GetFullPath(prefix), int.Parse(port, CultureInfo.InvariantCulture), Path.GetFullPath(logPath),
            TrackerScript: File.ReadAllText(Path.Combine(AppContext.BaseDirectory, NginxConfig.TrackerScriptFile)));
        foreach (var pair in rest)
        {
            var (key, value) = (pair[..pair.IndexOf('=')], pair[(pair.IndexOf('=') + 1)..]);
            settings = key switch
            {
                "CookieName" => settings with { CookieName = value },
                "HonorPrivacySignals" => settings with { HonorPrivacySignals = bool.Parse(value) },
                "TruncateClientIp" => settings with { TruncateClientIp = bool.Parse(value) },
                "TrustedProxies" => settings with { TrustedProxies = value.Split(',') },
                "AllowedOrigins" => settings with { AllowedOrigins = value.Split(',') },
                "WorkerProcesses" => settings with { WorkerProcesses = int.Parse(value, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"nginx-config: unknown setting '{key}'."),
            };
        }

        Console.Out.Write(NginxConfig.Render(settings));
        return true;
    }
}
