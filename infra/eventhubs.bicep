// Event Hubs namespace (Standard: the Kafka endpoint is on), the hub, its dashboard consumer group, Send/Listen rules,
// and one managed identity per service with only the data role it needs.
param location string
param tags object
param namespaceName string
param hubName string
param consumerGroupName string
param partitionCount int
param throughputUnits int
param principalId string

// Built-in roles: Azure Event Hubs Data Sender / Data Receiver.
var dataSenderRole = '2b629674-e913-4c01-ae53-ef4638d8f975'
var dataReceiverRole = 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde'

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: namespaceName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
    capacity: throughputUnits
  }
  properties: {
    kafkaEnabled: true
    minimumTlsVersion: '1.2'
    // Keys stay possible for the SAS alternative; Entra ID is the default of the services.
    disableLocalAuth: false
  }
}

resource hub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: namespace
  name: hubName
  properties: {
    partitionCount: partitionCount
    messageRetentionInDays: 1
  }
}

resource dashboardGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: hub
  name: consumerGroupName
}

// The SAS alternative: the shipper can only send, the consumer only listen.
resource sendRule 'Microsoft.EventHub/namespaces/eventhubs/authorizationRules@2024-01-01' = {
  parent: hub
  name: 'shipper-send'
  properties: {
    rights: [ 'Send' ]
  }
}

resource listenRule 'Microsoft.EventHub/namespaces/eventhubs/authorizationRules@2024-01-01' = {
  parent: hub
  name: 'consumer-listen'
  properties: {
    rights: [ 'Listen' ]
  }
}

resource shipperIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-shipper-${uniqueString(namespace.id)}'
  location: location
  tags: tags
}

resource consumerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-consumer-${uniqueString(namespace.id)}'
  location: location
  tags: tags
}

resource shipperSends 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hub.id, shipperIdentity.id, dataSenderRole)
  scope: hub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataSenderRole)
    principalId: shipperIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource consumerReceives 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hub.id, consumerIdentity.id, dataReceiverRole)
  scope: hub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataReceiverRole)
    principalId: consumerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource developerSends 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(hub.id, principalId, dataSenderRole)
  scope: hub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataSenderRole)
    principalId: principalId
    principalType: 'User'
  }
}

resource developerReceives 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(hub.id, principalId, dataReceiverRole)
  scope: hub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataReceiverRole)
    principalId: principalId
    principalType: 'User'
  }
}

output namespaceName string = namespace.name
output hubName string = hub.name
output consumerGroupName string = dashboardGroup.name
output kafkaBootstrap string = '${namespace.name}.servicebus.windows.net:9093'
output shipperIdentityId string = shipperIdentity.id
output shipperIdentityClientId string = shipperIdentity.properties.clientId
output consumerIdentityId string = consumerIdentity.id
output consumerIdentityClientId string = consumerIdentity.properties.clientId
