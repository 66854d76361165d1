namespace Clickstream.EndToEnd.Tests;

/// <summary>
/// What azd reads from the environment that <c>infra/main.bicep</c>'s outputs fill, and what it sets itself. Taken
/// from azd's source (github.com/Azure/azure-dev, cli/azd, read at commit ae35809f496491989273d0edefdeb70f245f399b);
/// each entry names the file that reads it. With <c>infra/main.bicep</c> present azd provisions it as it is and
/// generates nothing (pkg/project/importer.go), so every one of these must be an output of ours.
/// </summary>
internal static class AzdContract
{
    public static readonly IReadOnlyDictionary<string, string> RequiredOutputs = new Dictionary<string, string>
    {
        // The Container App azd deploys each service into, and where its image comes from
        // (resources/apphost/templates/containerApp.tmpl.yamlt, rendered by pkg/project/service_target_dotnet_containerapp.go
        // with missingkey=error).
        ["AZURE_CONTAINER_APPS_ENVIRONMENT_ID"] = "resources/apphost/templates/containerApp.tmpl.yamlt",
        ["AZURE_CONTAINER_REGISTRY_MANAGED_IDENTITY_ID"] = "resources/apphost/templates/containerApp.tmpl.yamlt",
        ["MANAGED_IDENTITY_CLIENT_ID"] = "resources/apphost/templates/containerApp.tmpl.yamlt",
        // The registry `dotnet publish -t:PublishContainer` pushes to.
        ["AZURE_CONTAINER_REGISTRY_ENDPOINT"] = "pkg/project/container_helper.go (RegistryName)",
        // The resource group services are deployed to.
        ["AZURE_RESOURCE_GROUP"] = "pkg/project/resource_manager.go (GetResourceGroupName)",
        // The Aspire dashboard link azd prints after deploy: https://aspire-dashboard.ext.<domain>.
        ["AZURE_CONTAINER_APPS_ENVIRONMENT_DEFAULT_DOMAIN"] = "pkg/apphost/generate.go (AspireDashboardUrl)",
        // What azd's own generated infrastructure outputs beside the above (resources/apphost/templates/main.bicept),
        // read by azd commands and hooks that expect an Aspire project's environment.
        ["AZURE_CONTAINER_APPS_ENVIRONMENT_NAME"] = "resources/apphost/templates/main.bicept",
        ["AZURE_CONTAINER_REGISTRY_NAME"] = "resources/apphost/templates/main.bicept",
        ["AZURE_LOG_ANALYTICS_WORKSPACE_NAME"] = "resources/apphost/templates/main.bicept",
        ["MANAGED_IDENTITY_NAME"] = "resources/apphost/templates/main.bicept",
    };

    /// <summary>Set by azd itself before it renders a template (pkg/environment/environment.go), not by our outputs.</summary>
    public static readonly IReadOnlySet<string> SetByAzd = new HashSet<string>
    {
        "AZURE_ENV_NAME", "AZURE_LOCATION", "AZURE_SUBSCRIPTION_ID", "AZURE_PRINCIPAL_ID", "AZURE_TENANT_ID",
    };

    /// <summary>
    /// The template functions service_target_dotnet_containerapp.go registers besides the Go template built-ins; a
    /// committed template that uses another fails at deploy time.
    /// </summary>
    public static readonly IReadOnlySet<string> TemplateFunctions = new HashSet<string>
    {
        "urlHost", "parameter", "parameterWithDefault", "securedParameter", "uriEncode", "secretOutput", "targetPortOrDefault",
    };

    /// <summary>
    /// Manifest resource types azd deploys or resolves (pkg/apphost/generate.go, the switch that ends in
    /// "unsupported resource type"; Dapr, Bicep modules and annotated strings left out: we have none). Anything
    /// else, such as <c>executable.v0</c>, it rejects.
    /// </summary>
    public static readonly IReadOnlySet<string> DeployableResourceTypes = new HashSet<string>
    {
        "project.v0", "project.v1", "dockerfile.v0", "container.v0", "container.v1", "parameter.v0", "value.v0",
    };
}
