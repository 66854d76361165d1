using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Clickstream.Contracts;
using YamlDotNet.RepresentationModel;

namespace Clickstream.EndToEnd.Tests;

/// <summary>
/// What <c>azd up</c> relies on, checked here rather than in a user's subscription: infra/main.bicep compiles and
/// outputs what azd reads, the committed Container App templates render into apps that match the manifest, and
/// every mode either publishes a manifest azd can deploy or refuses in one sentence.
/// </summary>
public sealed partial class DeploymentTests
{
    private static readonly Lazy<Task<JsonElement>> CompiledInfra = new(() => CompileAsync("infra/main.bicep"));

    private static readonly Lazy<Task<JsonElement>> DeployedManifest = new(() => PublishManifestAsync([]));

    /// <summary>The manifest parameters our templates answer from infra/main.bicep's outputs instead.</summary>
    private static readonly Dictionary<string, string> ParameterOutputs = new() { ["eventhubs-namespace"] = "EVENTHUBS_NAMESPACE" };

    internal static string RepositoryRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Clickstream.sln")))
            {
                directory = directory.Parent;
            }

            return directory?.FullName ?? throw new InvalidOperationException("Clickstream.sln not found above the test binaries.");
        }
    }

    private static string TemplatePath(string resource) => Path.Combine(RepositoryRoot, "Clickstream.AppHost", "infra", $"{resource}.tmpl.yaml");

    [Fact]
    public async Task Infra_outputs_everything_azd_reads_when_it_deploys_the_apphost()
    {
        var outputs = (await CompiledInfra.Value).GetProperty("outputs").EnumerateObject().Select(o => o.Name).ToHashSet();

        var missing = AzdContract.RequiredOutputs.Where(r => !outputs.Contains(r.Key)).Select(r => $"{r.Key} (read by {r.Value})").ToList();
        Assert.True(missing.Count == 0, "infra/main.bicep does not output: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task Infra_defaults_the_hub_and_group_to_the_contracts_defaults_and_the_templates_read_them_from_its_outputs()
    {
        var infra = await CompiledInfra.Value;
        Assert.Equal(PipelineDefaults.Topic, ParameterDefault(infra, "hubName"));
        Assert.Equal(PipelineDefaults.ConsumerGroup, ParameterDefault(infra, "consumerGroupName"));

        foreach (var resource in new[] { "pixel", "consumer" })
        {
            var text = await File.ReadAllTextAsync(TemplatePath(resource));
            Assert.DoesNotContain($"EntityPath={PipelineDefaults.Topic}", text, StringComparison.Ordinal);
            Assert.Contains("EntityPath={{ .Env.EVENTHUBS_HUB }}", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Infra_provisions_the_container_apps_side_next_to_event_hubs()
    {
        var all = AllResources(await CompiledInfra.Value).ToList();
        var resources = all.Select(r => r.Resource).ToList();
        var types = resources.Select(r => r.GetProperty("type").GetString()).ToHashSet();

        foreach (var type in new[]
                 {
                     "Microsoft.OperationalInsights/workspaces", "Microsoft.App/managedEnvironments", "Microsoft.App/managedEnvironments/dotNetComponents",
                     "Microsoft.ContainerRegistry/registries", "Microsoft.EventHub/namespaces", "Microsoft.EventHub/namespaces/eventhubs",
                     "Microsoft.EventHub/namespaces/eventhubs/consumergroups", "Microsoft.EventHub/namespaces/eventhubs/authorizationRules",
                 })
        {
            Assert.Contains(type, types);
        }

        // Three identities: the registry pull identity, the shipper's and the consumer's.
        Assert.Equal(3, resources.Count(r => r.GetProperty("type").GetString() == "Microsoft.ManagedIdentity/userAssignedIdentities"));
        var roles = all.Where(r => r.Resource.GetProperty("type").GetString() == "Microsoft.Authorization/roleAssignments")
            .Select(r => RoleDefinition(r.Resource, r.Template)).ToList();
        Assert.Contains("7f951dda-4ed3-4680-a7ca-43fe172d538d", roles); // AcrPull
        Assert.Contains("2b629674-e913-4c01-ae53-ef4638d8f975", roles); // Azure Event Hubs Data Sender
        Assert.Contains("a638d3c7-ab3a-418d-83e6-5f17a39d4fde", roles); // Azure Event Hubs Data Receiver
        var dashboard = resources.Single(r => r.GetProperty("type").GetString() == "Microsoft.App/managedEnvironments/dotNetComponents");
        Assert.Equal("AspireDashboard", dashboard.GetProperty("properties").GetProperty("componentType").GetString());
    }

    [Fact]
    public async Task Every_value_the_templates_read_is_an_infra_output_or_set_by_azd_and_every_function_is_azds()
    {
        var outputs = (await CompiledInfra.Value).GetProperty("outputs").EnumerateObject().Select(o => o.Name).ToHashSet();
        var templates = Directory.GetFiles(Path.Combine(RepositoryRoot, "Clickstream.AppHost", "infra"), "*.tmpl.yaml");
        Assert.NotEmpty(templates);
        foreach (var template in templates)
        {
            foreach (Match action in TemplateAction().Matches(await File.ReadAllTextAsync(template)))
            {
                var body = action.Groups[1].Value;
                if (EnvReference().Match(body) is { Success: true } env)
                {
                    var name = env.Groups[1].Value;
                    Assert.True(outputs.Contains(name) || AzdContract.SetByAzd.Contains(name),
                        $"{Path.GetFileName(template)} reads .Env.{name}, which neither infra/main.bicep outputs nor azd sets");
                }
                else if (body != ".Image")
                {
                    var function = body.Split(' ')[0];
                    Assert.True(AzdContract.TemplateFunctions.Contains(function), $"{Path.GetFileName(template)} calls {function}, which azd does not define");
                }
            }
        }
    }

    [Fact]
    public async Task Every_service_in_the_manifest_has_a_committed_template_so_azd_generates_none()
    {
        // A generated template would look manifest parameters up with {{ parameter }}, which infra/main.bicep does not answer.
        var resources = (await DeployedManifest.Value).GetProperty("resources");
        var services = resources.EnumerateObject().Where(r => r.Value.GetProperty("type").GetString()!.StartsWith("project.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["consumer", "pixel"], services.Select(s => s.Name).Order());
        foreach (var service in services)
        {
            var app = Render(service.Name, service.Value);
            var tags = (YamlMappingNode)app["tags"];
            Assert.Equal(service.Name, Scalar(tags, "azd-service-name"));
        }
    }

    [Fact]
    public async Task The_pixel_app_runs_pixel_and_shipper_on_one_volume_with_the_manifests_environment()
    {
        var pixel = (await DeployedManifest.Value).GetProperty("resources").GetProperty("pixel");
        var app = Render("pixel", pixel);
        var template = (YamlMappingNode)((YamlMappingNode)app["properties"])["template"];

        var volume = Assert.Single(((YamlSequenceNode)template["volumes"]).Cast<YamlMappingNode>());
        Assert.Equal("EmptyDir", Scalar(volume, "storageType"));
        var containers = ((YamlSequenceNode)template["containers"]).Cast<YamlMappingNode>().ToDictionary(c => Scalar(c, "name"));
        Assert.Equal(["pixel", "shipper"], containers.Keys.Order());

        var manifestEnv = ManifestEnvironment(pixel);
        var infraDefaults = await InfraDefaultsAsync();
        // The shared volume holds the access log the pixel writes and the shipper tails, and the shipper's checkpoints.
        Assert.StartsWith(ClickstreamPublishing.ContainerDataDirectory + "/", manifestEnv["AccessLog__Directory"], StringComparison.Ordinal);
        Assert.StartsWith(manifestEnv["AccessLog__Directory"] + "/", manifestEnv["Shipper__Paths__0"], StringComparison.Ordinal);
        Assert.StartsWith(ClickstreamPublishing.ContainerDataDirectory + "/", manifestEnv["Shipper__StateDirectory"], StringComparison.Ordinal);
        Assert.Equal("true", manifestEnv["Shipper__DrainOnStop"]);
        foreach (var (name, container) in containers)
        {
            var mount = Assert.Single(((YamlSequenceNode)container["volumeMounts"]).Cast<YamlMappingNode>());
            Assert.Equal(Scalar(volume, "name"), Scalar(mount, "volumeName"));
            Assert.Equal(ClickstreamPublishing.ContainerDataDirectory, Scalar(mount, "mountPath"));

            var env = ContainerEnvironment(container, infraDefaults);
            foreach (var (key, value) in manifestEnv)
            {
                if (name == "shipper" && key == "HTTP_PORTS")
                {
                    continue; // one network per replica: the shipper listens on a port of its own
                }

                Assert.True(env.TryGetValue(key, out var actual), $"container {name} lacks {key}");
                Assert.Equal(value, actual);
            }
        }

        Assert.NotEqual(ContainerEnvironment(containers["pixel"])["HTTP_PORTS"], ContainerEnvironment(containers["shipper"])["HTTP_PORTS"]);
        Assert.Equal("dotnet /app/shipper/Clickstream.Shipper.dll", string.Join(' ', ((YamlSequenceNode)containers["shipper"]["command"]).Select(n => n.ToString())));
        // The shipper authenticates as the identity that holds Data Sender, and only it.
        Assert.Equal("env:SHIPPER_IDENTITY_CLIENT_ID", ContainerEnvironment(containers["shipper"])["AZURE_CLIENT_ID"]);
        Assert.False(ContainerEnvironment(containers["pixel"]).ContainsKey("AZURE_CLIENT_ID"));

        // SIGKILL comes only after the shipper's own drain deadline (and the host's margin over it) has passed.
        var grace = TimeSpan.FromSeconds(int.Parse(Scalar(template, "terminationGracePeriodSeconds"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(grace >= new Clickstream.Shipper.ShipperOptions().DrainTimeout + TimeSpan.FromSeconds(10), $"grace period {grace}");
    }

    [Fact]
    public async Task The_dashboard_runs_as_exactly_one_replica_with_the_manifests_environment()
    {
        var consumer = (await DeployedManifest.Value).GetProperty("resources").GetProperty("consumer");
        var app = Render("consumer", consumer);
        var template = (YamlMappingNode)((YamlMappingNode)app["properties"])["template"];

        // Aggregates live in memory: a second replica in the group would own half the partitions, and show half the hits.
        var scale = (YamlMappingNode)template["scale"];
        Assert.Equal("1", Scalar(scale, "minReplicas"));
        Assert.Equal("1", Scalar(scale, "maxReplicas"));

        var container = Assert.Single(((YamlSequenceNode)template["containers"]).Cast<YamlMappingNode>());
        var env = ContainerEnvironment(container, await InfraDefaultsAsync());
        foreach (var (key, value) in ManifestEnvironment(consumer))
        {
            Assert.True(env.TryGetValue(key, out var actual), $"the consumer lacks {key}");
            Assert.Equal(value, actual);
        }

        Assert.Equal("env:CONSUMER_IDENTITY_CLIENT_ID", env["AZURE_CLIENT_ID"]);
    }

    /// <summary>Each mode, as the real AppHost publishes it.</summary>
    public static TheoryData<string[], bool> Modes()
    {
        var data = new TheoryData<string[], bool>();
        foreach (var mode in Enum.GetNames<KafkaMode>())
        {
            data.Add([$"--Kafka:Mode={mode}"], mode == nameof(KafkaMode.EventHubs));
        }

        data.Add(["--Kafka:Mode=eventhubs", "--Kafka:EventHubs:Auth=connection-string"], true);
        foreach (var server in Enum.GetNames<PixelServer>().Where(s => s != nameof(PixelServer.Kestrel)))
        {
            data.Add(["--Kafka:Mode=eventhubs", $"--Pixel:Server={server}"], false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Every_mode_publishes_only_what_azd_deploys_or_refuses_in_one_sentence(string[] mode, bool deployable)
    {
        using var output = Clickstream.Tests.TestEnvironment.CreateTempDirectory("clickstream-manifest");
        var path = Path.Combine(output.Path, "manifest.json");
        var result = await AppHostProcess.RunAsync(["--publisher", "manifest", "--output-path", path, .. mode]);

        if (deployable)
        {
            Assert.True(result.ExitCode == 0, result.Output + result.Error);
            var types = JsonDocument.Parse(await File.ReadAllTextAsync(path)).RootElement.GetProperty("resources").EnumerateObject()
                .Select(r => (r.Name, Type: r.Value.GetProperty("type").GetString()!)).ToList();
            Assert.All(types, r => Assert.True(AzdContract.DeployableResourceTypes.Contains(r.Type), $"{r.Name} is {r.Type}, which azd cannot deploy"));
            Assert.DoesNotContain(types, r => r.Name == "shipper"); // it runs inside the pixel's app
        }
        else
        {
            Assert.Equal(1, result.ExitCode);
            var error = result.Error.Trim();
            Assert.Contains("cannot be published:", error);
            Assert.DoesNotContain("\n", error);
            Assert.DoesNotContain("   at ", result.Output + result.Error);
            Assert.False(File.Exists(path));
        }
    }

    [Fact]
    public void Azd_finds_the_apphost_as_its_one_container_apps_service_and_the_infra()
    {
        var azure = LoadYaml(Path.Combine(RepositoryRoot, "azure.yaml"));
        var service = (YamlMappingNode)Assert.Single(((YamlMappingNode)azure["services"]).Children).Value;
        Assert.Equal("containerapp", Scalar(service, "host"));
        Assert.Equal("dotnet", Scalar(service, "language"));
        // The project azd builds is the AppHost these tests run, not merely some file that exists.
        Assert.Equal(AppHostDirectory(Path.GetFullPath(Projects.Clickstream_AppHost.ProjectPath)),
            AppHostDirectory(Path.GetFullPath(Path.Combine(RepositoryRoot, Scalar(service, "project")))));
        var infra = (YamlMappingNode)azure["infra"];
        Assert.True(File.Exists(Path.Combine(RepositoryRoot, Scalar(infra, "path"), "main.bicep")));
    }

    /// <summary>The generated metadata names the AppHost by its directory; azure.yaml by its project file.</summary>
    private static string AppHostDirectory(string project) =>
        (project.EndsWith(".csproj", StringComparison.Ordinal) ? Path.GetDirectoryName(project)! : project).TrimEnd(Path.DirectorySeparatorChar);

    /// <summary>
    /// Renders a committed template as azd does (text/template, missingkey=error) for what this test needs: every
    /// <c>.Env.NAME</c> becomes <c>env:NAME</c>, <c>.Image</c> an image name, <c>targetPortOrDefault</c> the
    /// manifest's target port (azd passes the port of the image it built, which the SDK takes from the same
    /// <c>HTTP_PORTS</c>). Anything else fails the test.
    /// </summary>
    private static YamlMappingNode Render(string resource, JsonElement manifestResource)
    {
        var path = TemplatePath(resource);
        Assert.True(File.Exists(path), $"no committed template for {resource}: azd would generate one");
        var targetPort = manifestResource.GetProperty("bindings").GetProperty("http").GetProperty("targetPort").GetInt32();
        var rendered = TemplateAction().Replace(File.ReadAllText(path), action =>
        {
            var body = action.Groups[1].Value;
            if (EnvReference().Match(body) is { Success: true } env)
            {
                return "env:" + env.Groups[1].Value;
            }

            if (body == ".Image")
            {
                return $"registry.example/clickstream/{resource}:test";
            }

            if (body.StartsWith("targetPortOrDefault ", StringComparison.Ordinal))
            {
                Assert.Equal(targetPort.ToString(System.Globalization.CultureInfo.InvariantCulture), body["targetPortOrDefault ".Length..]);
                return body["targetPortOrDefault ".Length..];
            }

            Assert.Fail($"{resource}.tmpl.yaml: {{{{ {body} }}}} is not rendered by this test");
            return string.Empty;
        });
        var yaml = new YamlStream();
        yaml.Load(new StringReader(rendered));
        return (YamlMappingNode)yaml.Documents.Single().RootNode;
    }

    /// <summary>The manifest's environment of a resource, its expressions evaluated the way the templates answer them.</summary>
    private static Dictionary<string, string> ManifestEnvironment(JsonElement resource)
    {
        var targetPort = resource.GetProperty("bindings").GetProperty("http").GetProperty("targetPort").GetInt32();
        return resource.GetProperty("env").EnumerateObject().ToDictionary(e => e.Name, e => ManifestExpression().Replace(e.Value.GetString()!, m =>
        {
            var expression = m.Groups[1].Value;
            if (expression.EndsWith(".bindings.http.targetPort", StringComparison.Ordinal))
            {
                return targetPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            var parameter = expression.EndsWith(".value", StringComparison.Ordinal) ? expression[..^".value".Length] : expression;
            Assert.True(ParameterOutputs.TryGetValue(parameter, out var output), $"the templates do not answer the manifest's {{{expression}}}");
            return "env:" + output;
        }));
    }

    private static Dictionary<string, string> ContainerEnvironment(YamlMappingNode container, Func<string, string>? resolve = null) =>
        ((YamlSequenceNode)container["env"]).Cast<YamlMappingNode>().ToDictionary(e => Scalar(e, "name"), e => (resolve ?? (v => v))(Scalar(e, "value")));

    /// <summary>
    /// The outputs that echo a parameter of infra/main.bicep, answered with the parameter's default: the manifest
    /// carries the AppHost's value (the contracts' default), the templates read the output, and the two must agree.
    /// </summary>
    private static async Task<Func<string, string>> InfraDefaultsAsync()
    {
        var infra = await CompiledInfra.Value;
        var outputs = new Dictionary<string, string>
        {
            ["env:EVENTHUBS_HUB"] = ParameterDefault(infra, "hubName"),
            ["env:EVENTHUBS_CONSUMER_GROUP"] = ParameterDefault(infra, "consumerGroupName"),
        };
        return value => outputs.Aggregate(value, (text, output) => text.Replace(output.Key, output.Value, StringComparison.Ordinal));
    }

    private static string ParameterDefault(JsonElement template, string parameter) =>
        template.GetProperty("parameters").GetProperty(parameter).GetProperty("defaultValue").GetString()!;

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value ?? string.Empty;

    private static YamlMappingNode LoadYaml(string path)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(path)));
        return (YamlMappingNode)yaml.Documents.Single().RootNode;
    }

    /// <summary>Every resource of a compiled template with the template it is in, including nested deployments (the modules).</summary>
    private static IEnumerable<(JsonElement Resource, JsonElement Template)> AllResources(JsonElement template)
    {
        var resources = template.GetProperty("resources");
        // languageVersion 2.0 templates keep resources in an object keyed by symbolic name.
        var list = resources.ValueKind == JsonValueKind.Object ? resources.EnumerateObject().Select(p => p.Value) : resources.EnumerateArray();
        foreach (var resource in list)
        {
            yield return (resource, template);
            if (resource.GetProperty("type").GetString() == "Microsoft.Resources/deployments")
            {
                foreach (var nested in AllResources(resource.GetProperty("properties").GetProperty("template")))
                {
                    yield return nested;
                }
            }
        }
    }

    /// <summary>The role definition GUID of a role assignment, looked up in its template's variables where Bicep put it.</summary>
    private static string RoleDefinition(JsonElement assignment, JsonElement template)
    {
        var id = assignment.GetProperty("properties").GetProperty("roleDefinitionId").GetString()!;
        var variable = VariableReference().Match(id);
        return variable.Success ? template.GetProperty("variables").GetProperty(variable.Groups[1].Value).GetString()! : id;
    }

    private static string Bicep
    {
        get
        {
            var root = typeof(DeploymentTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "NuGetPackageRoot").Value!;
            return Path.Combine(root, "azure.bicep.commandline.linux-x64", "0.49.2", "tools", "bicep");
        }
    }

    /// <summary>Compiles a Bicep file with the CLI from NuGet, as CI does; a warning fails like an error.</summary>
    private static async Task<JsonElement> CompileAsync(string file)
    {
        if (!OperatingSystem.IsWindows())
        {
            // NuGet extracts the compiler without its execute bit.
            File.SetUnixFileMode(Bicep, File.GetUnixFileMode(Bicep) | UnixFileMode.UserExecute);
        }

        var start = new ProcessStartInfo(Bicep, ["build", Path.Combine(RepositoryRoot, file), "--stdout"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var bicep = Process.Start(start)!;
        var output = bicep.StandardOutput.ReadToEndAsync();
        var errors = bicep.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await bicep.WaitForExitAsync(timeout.Token);
        Assert.True(bicep.ExitCode == 0, await errors);
        Assert.DoesNotContain("Warning", await errors);
        return JsonDocument.Parse(await output).RootElement.Clone();
    }

    private static async Task<JsonElement> PublishManifestAsync(string[] arguments)
    {
        using var output = Clickstream.Tests.TestEnvironment.CreateTempDirectory("clickstream-manifest");
        var path = Path.Combine(output.Path, "manifest.json");
        var result = await AppHostProcess.RunAsync(["--publisher", "manifest", "--output-path", path, .. arguments]);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        return JsonDocument.Parse(await File.ReadAllTextAsync(path)).RootElement.Clone();
    }

    [GeneratedRegex(@"variables\('([A-Za-z0-9]+)'\)")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"\{\{\s*(.*?)\s*\}\}")]
    private static partial Regex TemplateAction();

    [GeneratedRegex(@"^\.Env\.([A-Za-z0-9_]+)$")]
    private static partial Regex EnvReference();

    [GeneratedRegex(@"\{([a-z0-9-]+(?:\.[A-Za-z]+)+)\}")]
    private static partial Regex ManifestExpression();
}
