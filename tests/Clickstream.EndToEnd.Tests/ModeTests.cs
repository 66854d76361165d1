using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Clickstream.Contracts;

namespace Clickstream.EndToEnd.Tests;

/// <summary>Every mode comes from configuration; a mode that cannot work here fails at once with one sentence.</summary>
public sealed class ModeTests
{
    private sealed class FakeMachine(bool docker, bool nginx) : IPrerequisites
    {
        public bool HasContainerEngine() => docker;

        public string? FindExecutable(string name) => nginx && name == "nginx" ? "/usr/sbin/nginx" : null;
    }

    private static IDistributedApplicationBuilder Model(bool docker, params string[] args) => Model(docker, nginx: true, args);

    private static IDistributedApplicationBuilder Model(bool docker, bool nginx, params string[] args)
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = args,
            AssemblyName = typeof(ClickstreamApplication).Assembly.GetName().Name,
            DisableDashboard = true,
        });
        builder.AddClickstream(new FakeMachine(docker, nginx));
        return builder;
    }

    [Fact]
    public void The_default_is_the_embedded_emulator_and_every_service_waits_for_it()
    {
        var builder = Model(docker: false);
        var kafka = Assert.IsType<ProjectResource>(builder.Resources.Single(r => r.Name == "kafka"));
        Assert.Contains(kafka.Annotations.OfType<EndpointAnnotation>(), e => e.Name == "kafka" && !e.IsProxied);
        foreach (var service in new[] { "shipper", "consumer" })
        {
            var waits = builder.Resources.Single(r => r.Name == service).Annotations.OfType<WaitAnnotation>();
            Assert.Contains(waits, w => w.Resource.Name == "kafka");
        }
    }

    [Fact]
    public void Container_mode_runs_apache_kafka_when_an_engine_answers()
    {
        var builder = Model(docker: true, "--Kafka:Mode=container");
        var kafka = Assert.IsType<ContainerResource>(builder.Resources.Single(r => r.Name == "kafka"));
        var image = kafka.Annotations.OfType<ContainerImageAnnotation>().Single();
        Assert.Equal("apache/kafka", image.Image);
        Assert.Contains(kafka.Annotations.OfType<ContainerMountAnnotation>(), m => m.Target == "/var/lib/kafka/data");
    }

    [Theory]
    [InlineData("container")]
    [InlineData("eventhubs-emulator")]
    public void Container_modes_without_an_engine_fail_with_one_sentence(string mode)
    {
        var error = Assert.Throws<ClickstreamSetupException>(() => Model(docker: false, $"--Kafka:Mode={mode}"));
        Assert.Contains($"Kafka:Mode={mode} needs a running Docker engine", error.Message);
        Assert.Contains("--Kafka:Mode=emulator", error.Message);
    }

    [Fact]
    public void Nginx_pixel_runs_the_machines_nginx_with_a_generated_config_and_the_same_port()
    {
        var builder = Model(false, "--Pixel:Server=nginx", "--Clickstream:Ports:Pixel=8099");
        var pixel = Assert.IsType<ExecutableResource>(builder.Resources.Single(r => r.Name == "pixel"));
        Assert.Equal("/usr/sbin/nginx", pixel.Command);
        Assert.Contains(pixel.Annotations.OfType<EndpointAnnotation>(), e => e.Name == "http" && e.Port == 8099 && !e.IsProxied);
        var shipperWaits = builder.Resources.Single(r => r.Name == "shipper").Annotations.OfType<WaitAnnotation>();
        Assert.Contains(shipperWaits, w => w.Resource.Name == "pixel");
    }

    [Fact]
    public void Nginx_pixel_without_nginx_fails_with_one_sentence_naming_the_package_and_the_default()
    {
        var error = Assert.Throws<ClickstreamSetupException>(() => Model(false, nginx: false, "--Pixel:Server=nginx"));
        Assert.StartsWith("Pixel:Server=nginx needs nginx on PATH", error.Message);
        Assert.Contains("apt-get install nginx-light", error.Message);
        Assert.Contains("--Pixel:Server=kestrel", error.Message);
    }

    [Fact]
    public void Nginx_container_needs_an_engine_and_uses_the_official_image_when_one_answers()
    {
        var error = Assert.Throws<ClickstreamSetupException>(() => Model(docker: false, "--Pixel:Server=nginx-container"));
        Assert.StartsWith("Pixel:Server=nginx-container needs a running Docker engine", error.Message);

        var pixel = Assert.IsType<ContainerResource>(Model(docker: true, "--Pixel:Server=nginx-container").Resources.Single(r => r.Name == "pixel"));
        Assert.Equal("nginx", pixel.Annotations.OfType<ContainerImageAnnotation>().Single().Image);
    }

    [Fact]
    public void An_unknown_mode_names_the_choices()
    {
        var error = Assert.Throws<ClickstreamSetupException>(() => Model(docker: false, "--Kafka:Mode=rabbit"));
        Assert.Contains("emulator | container | eventhubs-emulator | external | eventhubs", error.Message);
    }

    [Fact]
    public void External_and_event_hubs_modes_have_no_local_broker()
    {
        // Even with an engine that answers, nothing runs besides our three services: no broker of any kind.
        foreach (var mode in new[] { "external", "eventhubs" })
        {
            var model = Model(docker: true, $"--Kafka:Mode={mode}");
            Assert.DoesNotContain(model.Resources, r => r is ContainerResource);
            Assert.DoesNotContain(model.Resources, r => r.Name == "kafka" && r is not ParameterResource);
            foreach (var service in new[] { "shipper", "consumer" })
            {
                Assert.DoesNotContain(model.Resources.Single(r => r.Name == service).Annotations.OfType<WaitAnnotation>(), w => w.Resource.Name == "kafka");
            }
        }

        Assert.IsAssignableFrom<ParameterResource>(Model(false, "--Kafka:Mode=external").Resources.Single(r => r.Name == "kafka"));
        var sas = Model(false, "--Kafka:Mode=eventhubs", "--Kafka:EventHubs:Auth=connection-string");
        var secrets = sas.Resources.OfType<ParameterResource>().Where(p => p.Secret).Select(p => p.Name).Order();
        Assert.Equal(["eventhubs-listen-connection", "eventhubs-send-connection"], secrets);
    }

    [Fact]
    public void Eventhubs_local_runs_the_emulator_with_its_listener_and_gives_each_service_its_own_rule_as_a_secret()
    {
        var builder = Model(false, "--Kafka:Mode=eventhubs-local", "--Clickstream:Ports:EventHubs=9193", "--Clickstream:Ports:EventHubsEmulator=9194");
        var kafka = Assert.IsType<ProjectResource>(builder.Resources.Single(r => r.Name == "kafka"));
        var endpoints = kafka.Annotations.OfType<EndpointAnnotation>().ToList();
        Assert.Contains(endpoints, e => e.Name == "eventhubs" && e.Port == 9193 && !e.IsProxied);
        Assert.Contains(endpoints, e => e.Name == "eventhubs-emulator" && e.Port == 9194 && !e.IsProxied);
        var secrets = builder.Resources.OfType<ParameterResource>().Where(p => p.Secret).Select(p => p.Name).Order();
        Assert.Equal(["eventhubs-listen-connection", "eventhubs-send-connection"], secrets);
        foreach (var service in new[] { "shipper", "consumer" })
        {
            var waits = builder.Resources.Single(r => r.Name == service).Annotations.OfType<WaitAnnotation>();
            Assert.Contains(waits, w => w.Resource.Name == "kafka");
        }
    }

    [Fact]
    public async Task The_real_apphost_refuses_container_mode_on_a_machine_without_docker_in_one_sentence()
    {
        // An empty PATH hides any docker CLI, so the answer does not depend on this machine.
        var result = await AppHostProcess.RunAsync(["--Kafka:Mode=container"], new Dictionary<string, string> { ["PATH"] = "/nonexistent" });

        Assert.Equal(1, result.ExitCode);
        var error = result.Error.Trim();
        Assert.StartsWith("Kafka:Mode=container needs a running Docker engine", error);
        Assert.DoesNotContain("\n", error);
        Assert.DoesNotContain("   at ", result.Output + result.Error);
    }

    [Fact]
    public async Task The_event_hubs_manifest_carries_the_connection_strings_as_secret_parameters_only()
    {
        using var output = Clickstream.Tests.TestEnvironment.CreateTempDirectory("clickstream-manifest");
        var path = Path.Combine(output.Path, "manifest.json");
        var result = await AppHostProcess.RunAsync(
            ["--publisher", "manifest", "--output-path", path, "--Kafka:Mode=eventhubs", "--Kafka:EventHubs:Auth=connection-string"]);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);

        var text = await File.ReadAllTextAsync(path);
        Assert.DoesNotContain("SharedAccessKey", text);
        var resources = JsonDocument.Parse(text).RootElement.GetProperty("resources");
        foreach (var name in new[] { "eventhubs-send-connection", "eventhubs-listen-connection" })
        {
            var parameter = resources.GetProperty(name);
            Assert.Equal("parameter.v0", parameter.GetProperty("type").GetString());
            Assert.True(parameter.GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
        }

        Assert.Equal("{eventhubs-send-connection.value}",
            resources.GetProperty("pixel").GetProperty("env").GetProperty("ConnectionStrings__kafka").GetString());
        Assert.Equal("{eventhubs-listen-connection.value}",
            resources.GetProperty("consumer").GetProperty("env").GetProperty("ConnectionStrings__kafka").GetString());
    }

    [Fact]
    public async Task The_default_event_hubs_manifest_uses_entra_id_with_no_key_at_all()
    {
        using var output = Clickstream.Tests.TestEnvironment.CreateTempDirectory("clickstream-manifest");
        var path = Path.Combine(output.Path, "manifest.json");
        var result = await AppHostProcess.RunAsync(["--publisher", "manifest", "--output-path", path, "--Kafka:Mode=eventhubs"]);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);

        var resources = JsonDocument.Parse(await File.ReadAllTextAsync(path)).RootElement.GetProperty("resources");
        var connection = resources.GetProperty("pixel").GetProperty("env").GetProperty("ConnectionStrings__kafka").GetString();
        Assert.Equal("Endpoint=sb://{eventhubs-namespace.value}.servicebus.windows.net/;EntityPath=" + PipelineDefaults.Topic, connection);
        Assert.False(resources.GetProperty("eventhubs-namespace").GetProperty("inputs").GetProperty("value").TryGetProperty("secret", out _));
    }
}
