var builder = DistributedApplication.CreateBuilder(args);
var settings = ClickstreamSettings.From(builder);

// Infrastructure: the embedded Kafka-protocol broker.
var kafka = builder.AddKafkaEmulator("kafka", settings.Ports.Kafka, settings.Topic, settings.Partitions);

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
    .WithKafka(kafka)
    .WaitFor(pixel)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.Clickstream_Consumer>("consumer")
    .WithHttpEndpoint(port: settings.Ports.Consumer, name: "http", isProxied: false)
    .WithUrlForEndpoint("http", url => url.DisplayText = "Live dashboard")
    .WithEnvironment("Kafka__Topic", settings.Topic)
    .WithKafka(kafka)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
