// Clickstream on Azure (azd provisions this file as it is; see README "Deploy"): Event Hubs for the stream, and
// what azd's Aspire deploy step needs to run the services there (Container Apps environment, registry, identities).
// The outputs are azd's contract: tests/Clickstream.EndToEnd.Tests/AzdContract.cs lists the ones azd reads.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and the resources.')
param environmentName string

@minLength(1)
@description('Azure region of every resource.')
param location string

@description('Object id of the deploying user, granted send and receive rights for local runs against Azure.')
param principalId string = ''

// The two names every stage agrees on; their defaults are Clickstream.Contracts/PipelineDefaults.cs (a test keeps
// them equal), and the Container App templates take them from this file's outputs.
@description('The hub (Kafka topic) every hit is produced to.')
param hubName string = 'clickstream'

@description('The dashboard consumer group on the hub.')
param consumerGroupName string = 'clickstream-dashboard'

@description('Partitions of the hub (fixed after creation on Standard).')
@minValue(1)
@maxValue(32)
param partitionCount int = 32

@description('Throughput units of the Standard namespace (1 TU: 1 MB/s or 1000 events/s in).')
@minValue(1)
@maxValue(40)
param throughputUnits int = 1

var tags = { 'azd-env-name': environmentName }

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

var resourceToken = uniqueString(subscription().id, rg.id, location)

module apps 'containerapps.bicep' = {
  name: 'containerapps'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
  }
}

module eventHubs 'eventhubs.bicep' = {
  name: 'eventhubs'
  scope: rg
  params: {
    location: location
    tags: tags
    namespaceName: 'clickstream-${uniqueString(rg.id)}'
    hubName: hubName
    consumerGroupName: consumerGroupName
    partitionCount: partitionCount
    throughputUnits: throughputUnits
    principalId: principalId
  }
}

// Read by azd itself (the names and where each is read: AzdContract.cs).
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_LOG_ANALYTICS_WORKSPACE_NAME string = apps.outputs.logAnalyticsName
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = apps.outputs.registryEndpoint
output AZURE_CONTAINER_REGISTRY_NAME string = apps.outputs.registryName
output AZURE_CONTAINER_REGISTRY_MANAGED_IDENTITY_ID string = apps.outputs.pullIdentityId
output AZURE_CONTAINER_APPS_ENVIRONMENT_NAME string = apps.outputs.environmentName
output AZURE_CONTAINER_APPS_ENVIRONMENT_ID string = apps.outputs.environmentId
output AZURE_CONTAINER_APPS_ENVIRONMENT_DEFAULT_DOMAIN string = apps.outputs.environmentDefaultDomain
output MANAGED_IDENTITY_CLIENT_ID string = apps.outputs.pullIdentityClientId
output MANAGED_IDENTITY_NAME string = apps.outputs.pullIdentityName

// Read by our Container App templates (Clickstream.AppHost/infra/*.tmpl.yaml) and by local runs against Azure.
output EVENTHUBS_NAMESPACE string = eventHubs.outputs.namespaceName
output EVENTHUBS_KAFKA_BOOTSTRAP string = eventHubs.outputs.kafkaBootstrap
output EVENTHUBS_HUB string = eventHubs.outputs.hubName
output EVENTHUBS_CONSUMER_GROUP string = eventHubs.outputs.consumerGroupName
output SHIPPER_IDENTITY_ID string = eventHubs.outputs.shipperIdentityId
output SHIPPER_IDENTITY_CLIENT_ID string = eventHubs.outputs.shipperIdentityClientId
output CONSUMER_IDENTITY_ID string = eventHubs.outputs.consumerIdentityId
output CONSUMER_IDENTITY_CLIENT_ID string = eventHubs.outputs.consumerIdentityClientId
