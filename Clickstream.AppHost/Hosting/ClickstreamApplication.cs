namespace Aspire.Hosting;

/// <summary>The pipeline, top to bottom: the stream first, then the pixel, the shipper and the consumer.</summary>
public static class ClickstreamApplication
{
    public static void AddClickstream(this IDistributedApplicationBuilder builder, IPrerequisites prerequisites)
    {
        var settings = ClickstreamSettings.From(builder);

        var kafka = builder.AddClickstreamKafka(settings, prerequisites);

        // The pixel writes the access log that the shipper tails.
        var pixel = builder.AddProject<Projects.Clickstream_Pixel>("pixel")
            .WithHttpEndpoint(port: settings.Ports.Pixel, name: "http", isProxied: false)
            .WithUrlForEndpoint("http", url => url.DisplayText = "Pixel (/i)")
            .WithEnvironment("AccessLog__Directory", settings.LogDirectory)
            .WithHttpHealthCheck("/health");

        builder.AddProject<Projects.Clickstream_Shipper>("shipper")
            .WithHttpEndpoint(name: "http")
            .WithEnvironment("Shipper__Paths__0", Path.Combine(settings.LogDirectory, "*.log"))
            .WithEnvironment("Shipper__StateDirectory", settings.ShipperStateDirectory)
            .WithEnvironment("Kafka__Topic", settings.Topic)
            .WithKafka(kafka, KafkaRole.Producer)
            .WaitFor(pixel)
            .WithHttpHealthCheck("/health");

        builder.AddProject<Projects.Clickstream_Consumer>("consumer")
            .WithHttpEndpoint(port: settings.Ports.Consumer, name: "http", isProxied: false)
            .WithUrlForEndpoint("http", url => url.DisplayText = "Live dashboard")
            .WithEnvironment("Kafka__Topic", settings.Topic)
            .WithKafka(kafka, KafkaRole.Consumer)
            .WithHttpHealthCheck("/health");
    }
}
