using Azure.Storage.Blobs;

namespace Clickstream.Consumer.Storage;

/// <summary>
/// The one way the consumer reaches a Blob Storage container (checkpoints, lake): a connection string when given
/// (a secret: never logged), else the account's blob endpoint with Entra ID (managed identity deployed, <c>az login</c> locally).
/// </summary>
public static class BlobContainers
{
    public static BlobContainerClient Open(string? connectionString, Uri? serviceUri, string container)
    {
        var service = !string.IsNullOrWhiteSpace(connectionString)
            ? new BlobServiceClient(connectionString)
            : new BlobServiceClient(serviceUri, new Azure.Identity.DefaultAzureCredential());
        return service.GetBlobContainerClient(container);
    }
}
