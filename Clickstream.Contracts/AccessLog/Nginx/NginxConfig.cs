using System.Globalization;
using System.Text;

namespace Clickstream.Contracts.Nginx;

/// <summary>
/// What the nginx pixel is rendered with; the privacy and proxy knobs have the defaults of the Kestrel pixel's
/// <c>PixelOptions</c>. <paramref name="LogPath"/> is the full path of the access-log file (name it <c>access.log</c>).
/// <paramref name="TrackerScript"/> is the text of <c>Clickstream.Pixel/Hits/c.js</c> (<see cref="NginxConfig.TrackerScriptFile"/>),
/// served at <c>/c.js</c> from the configuration itself; null: <c>/c.js</c> answers 404.
/// </summary>
public sealed record NginxPixelSettings(
    string Prefix,
    int Port,
    string LogPath,
    string CookieName = "uid",
    int CookieMaxAgeSeconds = 31536000,
    bool HonorPrivacySignals = true,
    bool TruncateClientIp = false,
    IReadOnlyList<string>? TrustedProxies = null,
    IReadOnlyList<string>? AllowedOrigins = null,
    string ListenAddress = "127.0.0.1",
    int WorkerProcesses = 1,
    string? TrackerScript = null);

/// <summary>
/// Renders <c>pixel.conf.template</c> (beside this file, embedded in the assembly): the nginx pixel writes the same
/// access-log line as the Kestrel pixel, so the template is part of the line's contract and lives with it. The
/// pixel (<c>nginx-config</c>), the AppHost's nginx modes, the tests and the benchmarks all render it from here.
/// </summary>
public static class NginxConfig
{
    private const string Indent = "        ";
    private const string TemplateResource = "Clickstream.Contracts.AccessLog.Nginx.pixel.conf.template";

    /// <summary>
    /// The tracker script's path relative to the pixel project (and to its build output); it belongs to the pixel,
    /// and the callers that render for nginx read it from there into <see cref="NginxPixelSettings.TrackerScript"/>.
    /// </summary>
    public static readonly string TrackerScriptFile = System.IO.Path.Combine("Hits", "c.js");

    /// <summary>The template's text, with its <c>{{placeholders}}</c>.</summary>
    public static string Template { get; } = LoadTemplate();

    /// <summary>The pixel's nginx configuration for <paramref name="settings"/>.</summary>
    public static string Render(NginxPixelSettings settings) => Render(Template, settings);

    public static string Render(string template, NginxPixelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Port is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), $"Port {settings.Port} is not a TCP port.");
        }

        if (settings.CookieMaxAgeSeconds < 0 || settings.WorkerProcesses < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), "CookieMaxAgeSeconds must be >= 0 and WorkerProcesses >= 1.");
        }

        var trusted = settings.TrustedProxies ?? [];
        var origins = settings.AllowedOrigins ?? [];
        var values = new Dictionary<string, string>
        {
            ["prefix"] = Path(settings.Prefix, nameof(settings.Prefix)),
            ["log_path"] = Path(settings.LogPath, nameof(settings.LogPath)),
            ["port"] = settings.Port.ToString(CultureInfo.InvariantCulture),
            ["listen"] = Token(settings.ListenAddress, nameof(settings.ListenAddress), ".:[]"),
            ["workers"] = settings.WorkerProcesses.ToString(CultureInfo.InvariantCulture),
            ["cookie_name"] = Token(settings.CookieName, nameof(settings.CookieName), "_"),
            ["cookie_max_age"] = settings.CookieMaxAgeSeconds.ToString(CultureInfo.InvariantCulture),
            ["privacy"] = settings.HonorPrivacySignals ? "1" : "0",
            ["set_real_ip_from"] = Lines(trusted.Select(p => $"    set_real_ip_from {Token(p, "TrustedProxies", ".:/")};")),
            ["trusted_geo"] = Lines(trusted.Select(p => $"{Indent}{Token(p, "TrustedProxies", ".:/")} 1;")),
            ["truncate"] = settings.TruncateClientIp ? TruncationRules : "",
            ["tracker_script"] = settings.TrackerScript is { } script ? Quoted(script) : "",
            ["tracker_status"] = settings.TrackerScript is null ? "404" : "200",
            ["origins"] = origins.Count == 0
                ? $"{Indent}\"~^[!-~]+$\" $http_origin;"
                : Lines(origins.Select(o => $"{Indent}\"{Token(o, "AllowedOrigins", ":/.-_[]")}\" $http_origin;")),
        };

        var output = new StringBuilder(template.Length + 1024);
        var position = 0;
        while (true)
        {
            var start = template.IndexOf("{{", position, StringComparison.Ordinal);
            if (start < 0)
            {
                output.Append(template, position, template.Length - position);
                return output.ToString();
            }

            var end = template.IndexOf("}}", start, StringComparison.Ordinal);
            var name = end < 0 ? "" : template[(start + 2)..end];
            if (!values.TryGetValue(name, out var value))
            {
                throw new FormatException($"The nginx template has an unknown placeholder '{{{{{name}}}}}'.");
            }

            output.Append(template, position, start - position).Append(value);
            position = end + 2;
        }
    }

    /// <summary>The command line for <c>nginx</c>: its own prefix, the rendered file, in the foreground.</summary>
    public static string[] Arguments(string prefix, string configPath) =>
        ["-p", prefix, "-c", configPath, "-g", "daemon off;"];

    /// <summary>/24 for IPv4, /48 for IPv6 on the canonical text form nginx writes (RFC 5952, as .NET does).</summary>
    private const string TruncationRules =
        Indent + "\"~^(?<pixel_v4>[0-9]+\\.[0-9]+\\.[0-9]+)\\.[0-9]+$\" \"$pixel_v4.0\";\n" +
        Indent + "\"~^0:0:0:\" \"::\";\n" +
        Indent + "\"~^(?<pixel_h1>[0-9a-f]{1,4}):0:0:\" \"$pixel_h1::\";\n" +
        Indent + "\"~^(?<pixel_h12>[0-9a-f]{1,4}:[0-9a-f]{1,4}):0:\" \"$pixel_h12::\";\n" +
        Indent + "\"~^(?<pixel_h123>[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}):\" \"$pixel_h123::\";\n" +
        Indent + "\"~^(?<pixel_p2>[0-9a-f]{1,4}:[0-9a-f]{1,4})::\" \"$pixel_p2::\";\n" +
        Indent + "\"~^(?<pixel_p1>[0-9a-f]{1,4})::\" \"$pixel_p1::\";\n" +
        Indent + "\"~^::\" \"::\";";

    private static string LoadTemplate()
    {
        using var stream = typeof(NginxConfig).Assembly.GetManifestResourceStream(TemplateResource)
            ?? throw new InvalidOperationException($"The assembly holds no resource '{TemplateResource}'.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string Lines(IEnumerable<string> lines) => string.Join('\n', lines);

    /// <summary>
    /// The script as one single-quoted nginx string (<c>\'</c> and <c>\\</c> escaped). nginx has no escape for
    /// <c>$</c> in a string (it starts a variable), so the script must not contain one.
    /// </summary>
    private static string Quoted(string script)
    {
        if (script.Contains('$', StringComparison.Ordinal))
        {
            throw new ArgumentException("The tracker script holds a '$', which nginx would read as a variable.", nameof(script));
        }

        return "'" + script.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
    }

    private static string Path(string value, string name)
    {
        if (string.IsNullOrWhiteSpace(value) || value.IndexOfAny(['"', '\'', ';', '{', '}', '$', '\\', '\n', '\r', ' ', '\t']) >= 0)
        {
            throw new ArgumentException($"{name} '{value}' cannot be written into an nginx configuration (no spaces, quotes, ';', '{{}}', '$' or '\\').", name);
        }

        return value;
    }

    private static string Token(string value, string name, string extra)
    {
        if (string.IsNullOrEmpty(value) || !value.All(c => char.IsAsciiLetterOrDigit(c) || extra.Contains(c)))
        {
            throw new ArgumentException($"{name} '{value}' may only hold letters, digits and '{extra}'.", name);
        }

        return value;
    }
}
