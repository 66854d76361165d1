using System.Buffers;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Clickstream.Consumer.Lake;

/// <summary>
/// The lake in an Azure Blob Storage container (or an ADLS Gen2 file system, or Azurite). A file is uploaded as
/// uncommitted blocks while it is written (memory stays one block) and published by one Put Block List: until
/// then the name does not exist for any reader (Blob API or the DFS endpoint Spark's <c>abfss://</c> uses), and a
/// process killed before the commit leaves only uncommitted blocks, which the service discards.
/// </summary>
public sealed class BlobLakeStore : ILakeStore
{
    private readonly BlobContainerClient _container;
    private readonly int _blockBytes;

    public BlobLakeStore(BlobContainerClient container, int blockBytes = 4 << 20)
    {
        _container = container;
        _blockBytes = blockBytes;
        _container.CreateIfNotExists();
    }

    /// <summary>The container's address: account and name, never a key.</summary>
    public string Location => _container.Uri.GetLeftPart(UriPartial.Path);

    public IReadOnlyList<string> List(string prefix) => [.. _container.GetBlobs(BlobTraits.None, BlobStates.None, prefix, CancellationToken.None).Select(b => b.Name)];

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

    public bool Exists(string name) => _container.GetBlobClient(name).Exists().Value;

    public void Write(string name, Action<Stream> write, Action? beforePublish = null)
    {
        var blob = _container.GetBlockBlobClient(name);
        using var upload = new BlockUpload(blob, _blockBytes);
        write(upload);
        upload.Stage();
        beforePublish?.Invoke();
        blob.CommitBlockList(upload.Blocks);
    }

    public void Delete(string name) => _container.GetBlobClient(name).DeleteIfExists();

    /// <summary>A write-only stream that stages a block each time its buffer fills; it never commits.</summary>
    private sealed class BlockUpload(BlockBlobClient blob, int blockBytes) : Stream
    {
        // Block ids of one blob must have one length; the upload's own prefix keeps a killed attempt's blocks apart.
        private readonly string _upload = Guid.NewGuid().ToString("N");
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(blockBytes);
        private int _filled;
        private long _length;

        public List<string> Blocks { get; } = [];

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position
        {
            get => _length;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                var n = Math.Min(buffer.Length, blockBytes - _filled);
                buffer[..n].CopyTo(_buffer.AsSpan(_filled));
                _filled += n;
                _length += n;
                buffer = buffer[n..];
                if (_filled == blockBytes)
                {
                    Stage();
                }
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        /// <summary>Writers flush as they go; a block is staged only when full (see <see cref="Stage"/>).</summary>
        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        /// <summary>Stages what is buffered as the next block.</summary>
        public void Stage()
        {
            if (_filled == 0)
            {
                return;
            }

            var id = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{_upload}{Blocks.Count:D8}"));
            using (var content = new MemoryStream(_buffer, 0, _filled, writable: false))
            {
                blob.StageBlock(id, content);
            }

            Blocks.Add(id);
            _filled = 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && _buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
            }

            base.Dispose(disposing);
        }
    }
}
