using Azure;
using Azure.Storage.Blobs;
using Azure.Storage;
using Azure.Storage.Blobs.Models;

namespace Clickstream.Consumer.Checkpoints;

/// <summary>
/// Checkpoints as block blobs in one container (Azure Blob Storage, ADLS Gen2, or Azurite). An upload is
/// staged as blocks and made visible by one commit (Put Blob, or Put Block List for large ones), so a
/// process killed mid-upload leaves the previous blob (or none) in place, never a partial one.
/// </summary>
public sealed class BlobCheckpointStore : ICheckpointStore
{
    private static readonly StorageTransferOptions Transfer = new()
    {
        InitialTransferSize = 4 * 1024 * 1024,
        MaximumTransferSize = 4 * 1024 * 1024,
        MaximumConcurrency = 2,
    };

    private readonly BlobContainerClient _container;

    public BlobCheckpointStore(BlobContainerClient container)
    {
        _container = container;
        _container.CreateIfNotExists();
    }

    /// <summary>The container's address: account and name, never a key.</summary>
    public string Location => _container.Uri.GetLeftPart(UriPartial.Path);

    public IReadOnlyList<string> List() => [.. _container.GetBlobs().Select(b => b.Name)];

    public byte[]? Read(string name)
    {
        try
        {
            return _container.GetBlobClient(name).DownloadContent().Value.Content.ToArray();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public void Write(string name, ReadOnlyMemory<byte> data)
    {
        using var stream = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var array)
            ? new MemoryStream(array.Array!, array.Offset, array.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);
        Write(name, stream);
    }

    /// <summary>From a stream; a stream that fails midway (a killed writer) commits nothing.</summary>
    public void Write(string name, Stream data) =>
        _container.GetBlobClient(name).Upload(data, new BlobUploadOptions { TransferOptions = Transfer });

    public void Delete(string name) => _container.GetBlobClient(name).DeleteIfExists();
}
