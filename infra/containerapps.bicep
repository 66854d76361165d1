// Where azd's Aspire deploy path puts the services: a Container Apps environment (logs to Log Analytics,
// with the Aspire dashboard component) and a registry the apps pull from with a managed identity.
param location string
param tags object
@description('uniqueString() of the resource group: names that must be globally unique.')
@minLength(13)
param resourceToken string

// Built-in role: AcrPull.
var acrPullRole = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'law-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: 'acr${resourceToken}'
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    // Pulls and pushes go through Entra ID (azd logs in with the user's token, apps with their identity).
    adminUserEnabled: false
  }
}

// The identity every Container App pulls its image with (azd's AZURE_CONTAINER_REGISTRY_MANAGED_IDENTITY_ID).
resource pullIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-pull-${resourceToken}'
  location: location
  tags: tags
}

resource pullIdentityPulls 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, pullIdentity.id, acrPullRole)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRole)
    principalId: pullIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource environment 'Microsoft.App/managedEnvironments@2024-02-02-preview' = {
  name: 'cae-${resourceToken}'
  location: location
  tags: tags
  properties: {
    workloadProfiles: [
      {
        workloadProfileType: 'Consumption'
        name: 'consumption'
      }
    ]
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logAnalytics.properties.customerId
        sharedKey: logAnalytics.listKeys().primarySharedKey
      }
    }
  }

  // The Aspire dashboard as a managed component: https://aspire-dashboard.ext.<default domain>.
  resource aspireDashboard 'dotNetComponents' = {
    name: 'aspire-dashboard'
    properties: {
      componentType: 'AspireDashboard'
    }
  }
}

output logAnalyticsName string = logAnalytics.name
output registryName string = registry.name
output registryEndpoint string = registry.properties.loginServer
output pullIdentityId string = pullIdentity.id
output pullIdentityClientId string = pullIdentity.properties.clientId
output pullIdentityName string = pullIdentity.name
output environmentName string = environment.name
output environmentId string = environment.id
output environmentDefaultDomain string = environment.properties.defaultDomain
