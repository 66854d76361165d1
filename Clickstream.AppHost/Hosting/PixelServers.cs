using Aspire.Hosting.ApplicationModel;
using Clickstream.Contracts.Nginx;

namespace Aspire.Hosting;

/// <summary>
/// One funnel for every <c>Pixel:Server</c>: the Kestrel pixel (nothing to install), nginx from the machine,
/// or nginx in a container. All three write the same access-log line to the same shared directory, so the
/// shipper never knows which one answered.
/// </summary>
public static class PixelServers
{
    public const string NginxImage = "nginx";
    public const string NginxTag = "1.27-alpine";

    /// <summary>Where the generated nginx configuration, pid file and temp files live, below the data directory.</summary>
    public static string NginxPrefix(ClickstreamSettings settings) => Path.Combine(settings.DataDirectory, "nginx");

    public static IResourceBuilder<IResourceWithEndpoints> AddClickstreamPixel(this IDistributedApplicationBuilder builder,
        ClickstreamSettings settings, IPrerequisites prerequisites)
    {
        var publishing = builder.ExecutionContext.IsPublishMode;
        switch (settings.PixelServer)
        {
            case PixelServer.Kestrel:
                return builder.AddProject<Projects.Clickstream_Pixel>("pixel")
                    .WithHttpEndpoint(port: settings.Ports.Pixel, name: "http", isProxied: false)
                    .WithEnvironment("AccessLog__Directory", settings.LogDirectory)
                    .AsEndpoints();

            case PixelServer.Nginx:
            {
                var nginx = prerequisites.FindExecutable("nginx");
                if (nginx is null && !publishing)
                {
                    throw new ClickstreamSetupException(
                        "Pixel:Server=nginx needs nginx on PATH and none is found: install it (apt-get install nginx-light), or run with --Pixel:Server=kestrel (the default, nothing to install).");
                }

                var prefix = NginxPrefix(settings);
                var configPath = Path.Combine(prefix, "nginx.conf");
                // nginx opens <prefix>/logs/error.log before it reads the config that sends errors to stderr.
                WriteNginxConfigBeforeStart(builder, configPath, [settings.LogDirectory, Path.Combine(prefix, "logs")],
                    new NginxPixelSettings(prefix, settings.Ports.Pixel, Path.Combine(settings.LogDirectory, "access.log")));
                return builder.AddExecutable("pixel", nginx ?? "nginx", prefix, NginxConfig.Arguments(prefix, configPath))
                    .WithHttpEndpoint(port: settings.Ports.Pixel, name: "http", isProxied: false)
                    .AsEndpoints();
            }

            case PixelServer.NginxContainer:
            {
                if (!publishing && !prerequisites.HasContainerEngine())
                {
                    throw new ClickstreamSetupException(
                        "Pixel:Server=nginx-container needs a running Docker engine, and none answers here: start one, or run with --Pixel:Server=nginx (nginx from the machine) or --Pixel:Server=kestrel (the default).");
                }

                // Inside the container: nginx listens on 8080 and logs to the bind-mounted shared directory.
                const string containerLogs = "/var/log/clickstream";
                const string containerConfig = "/etc/nginx/clickstream.conf";
                var hostConfig = Path.Combine(NginxPrefix(settings), "nginx-container.conf");
                WriteNginxConfigBeforeStart(builder, hostConfig, [settings.LogDirectory],
                    new NginxPixelSettings("/tmp", 8080, $"{containerLogs}/access.log", ListenAddress: "0.0.0.0"));
                return builder.AddContainer("pixel", NginxImage, NginxTag)
                    .WithEntrypoint("nginx")
                    .WithArgs(NginxConfig.Arguments("/tmp", containerConfig))
                    .WithBindMount(hostConfig, containerConfig, isReadOnly: true)
                    .WithBindMount(settings.LogDirectory, containerLogs)
                    .WithHttpEndpoint(port: settings.Ports.Pixel, targetPort: 8080, name: "http", isProxied: false)
                    .AsEndpoints();
            }

            default:
                throw new ClickstreamSetupException($"Pixel:Server={settings.PixelServer} is not supported.");
        }
    }

    /// <summary>
    /// Renders the nginx template kept with the access-log contract (<c>Clickstream.Contracts/AccessLog/Nginx/</c>) when the
    /// application starts, not when it is only described (publishing a manifest writes nothing).
    /// </summary>
    private static void WriteNginxConfigBeforeStart(IDistributedApplicationBuilder builder, string configPath,
        IReadOnlyList<string> directories, NginxPixelSettings nginx)
    {
        builder.Eventing.Subscribe<BeforeStartEvent>((_, _) =>
        {
            var pixelProject = Path.GetDirectoryName(new Projects.Clickstream_Pixel().ProjectPath)!;
            foreach (var directory in directories.Prepend(Path.GetDirectoryName(configPath)!))
            {
                Directory.CreateDirectory(directory);
            }

            var script = File.ReadAllText(Path.Combine(pixelProject, NginxConfig.TrackerScriptFile));
            File.WriteAllText(configPath, NginxConfig.Render(nginx with { TrackerScript = script }));
            return Task.CompletedTask;
        });
    }

    private static IResourceBuilder<IResourceWithEndpoints> AsEndpoints<T>(this IResourceBuilder<T> builder) where T : IResourceWithEndpoints =>
        (IResourceBuilder<IResourceWithEndpoints>)(object)builder;
}
