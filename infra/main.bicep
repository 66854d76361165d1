// Clickstream on Azure: the Event Hubs side of the pipeline (azd provisions this file; see README "Deploy").
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

@description('Partitions of the clickstream hub (fixed after creation on Standard).')
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

module eventHubs 'eventhubs.bicep' = {
  name: 'eventhubs'
  scope: rg
  params: {
    location: location
    tags: tags
    namespaceName: 'clickstream-${uniqueString(rg.id)}'
    hubName: 'clickstream'
    partitionCount: partitionCount
    throughputUnits: throughputUnits
    principalId: principalId
  }
}

output AZURE_RESOURCE_GROUP string = rg.name
output EVENTHUBS_NAMESPACE string = eventHubs.outputs.namespaceName
output EVENTHUBS_KAFKA_BOOTSTRAP string = eventHubs.outputs.kafkaBootstrap
output EVENTHUBS_HUB string = eventHubs.outputs.hubName
output SHIPPER_IDENTITY_CLIENT_ID string = eventHubs.outputs.shipperIdentityClientId
output CONSUMER_IDENTITY_CLIENT_ID string = eventHubs.outputs.consumerIdentityClientId
