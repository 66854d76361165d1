using Microsoft.Extensions.Configuration;

namespace Aspire.Hosting;

/// <summary>
/// The AppHost's own settings, from its appsettings.json, environment (<c>Clickstream__Ports__Pixel</c>)
/// or command line (<c>--Clickstream:Ports:Pixel=8080</c>).
/// </summary>
public sealed class ClickstreamSettings
{
    public const string SectionName = "Clickstream";

    /// <summary>Access logs, shipper checkpoints and dead letters live below it. Relative to the AppHost project.</summary>
    public string DataDirectory { get; set; } = "../.data";

    public PortSettings Ports { get; set; } = new();

    public int Partitions { get; set; } = 32;

    public string Topic { get; set; } = "clickstream";

    public static ClickstreamSettings From(IDistributedApplicationBuilder builder)
    {
        var settings = new ClickstreamSettings();
        builder.Configuration.GetSection(SectionName).Bind(settings);
        settings.DataDirectory = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, settings.DataDirectory));
        return settings;
    }

    public string LogDirectory => Path.Combine(DataDirectory, "logs");

    public string ShipperStateDirectory => Path.Combine(DataDirectory, "shipper");

    public sealed class PortSettings
    {
        public int Pixel { get; set; } = 8080;

        public int Consumer { get; set; } = 8081;

        public int Kafka { get; set; } = 9092;
    }
}
