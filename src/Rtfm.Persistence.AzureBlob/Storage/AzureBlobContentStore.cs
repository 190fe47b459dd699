// Content-addressed objects (frames, KV blocks) in Azure Blob storage, the blob twin of
// Rtfm.Storage.FileContentStore: an object is named by the SHA-256 of its bytes
// (PREFIX + "sha256-<hex>"), so a put is idempotent (If-None-Match:*, 409 = already there) and
// every read is verified against the name: a corrupt blob throws InvalidDataException, every time.
using Azure;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Rtfm.Storage;

namespace Rtfm.Persistence.AzureBlob.Storage;

public sealed partial class AzureBlobContentStore : IContentStore
{
    private readonly ResilientBlobContainer _blobs;
    private readonly ILogger _logger;

    internal AzureBlobContentStore(ResilientBlobContainer blobs, string prefix, ILogger logger)
    {
        _blobs = blobs;
        Prefix = prefix;
        _logger = logger;
    }

    /// <summary>The virtual folder of this store inside the container ("" or ending in '/').</summary>
    public string Prefix { get; }

    public string BlobNameOf(ContentName name) => Prefix + name.Value;

    /// <summary>
    /// Stores the bytes once. <paramref name="durable"/> has no effect: a blob is durable when
    /// the service acknowledges it, and a blob upload is atomic (no partial object under its name).
    /// </summary>
    public async Task<ContentName> PutAsync(ReadOnlyMemory<byte> content, bool durable = true, CancellationToken cancellationToken = default)
    {
        var name = ContentName.Of(content.Span);
        var blob = _blobs.Container.GetBlobClient(BlobNameOf(name));
        var upload = new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" },
        };
        var data = BinaryData.FromBytes(content);
        try
        {
            await _blobs.RunCreatingContainerAsync(async ct => (await blob.UploadAsync(data, upload, ct).ConfigureAwait(false)).Value, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (BlobFailures.IsConditionFailed(e))
        {
            // Already stored (409), or a concurrent put of the same name is committing it (412):
            // same name, same bytes, nothing to do.
        }
        return name;
    }

    public async Task<byte[]?> GetAsync(ContentName name, CancellationToken cancellationToken = default)
    {
        var blob = _blobs.Container.GetBlobClient(BlobNameOf(name));
        byte[] bytes;
        try
        {
            var result = await _blobs.RunAsync(async ct => (await blob.DownloadContentAsync(ct).ConfigureAwait(false)).Value, cancellationToken).ConfigureAwait(false);
            bytes = result.Content.ToArray();
        }
        catch (RequestFailedException e) when (BlobFailures.IsNotFound(e))
        {
            return null;
        }
        if (!name.Matches(bytes))
        {
            LogCorrupt(_blobs.Name, _blobs.Container.Name, blob.Name, bytes.Length);
            throw new InvalidDataException($"stored object {name} is corrupt: its bytes no longer hash to its name (blob {_blobs.Container.Name}/{blob.Name}, {bytes.Length} bytes)");
        }
        return bytes;
    }

    public async Task<bool> ExistsAsync(ContentName name, CancellationToken cancellationToken = default)
    {
        var blob = _blobs.Container.GetBlobClient(BlobNameOf(name));
        try
        {
            return await _blobs.RunAsync(async ct => (await blob.ExistsAsync(ct).ConfigureAwait(false)).Value, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (BlobFailures.IsNotFound(e))
        {
            return false;
        }
    }

    public async Task<bool> DeleteAsync(ContentName name, CancellationToken cancellationToken = default)
    {
        var blob = _blobs.Container.GetBlobClient(BlobNameOf(name));
        try
        {
            return await _blobs.RunAsync(async ct => (await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct).ConfigureAwait(false)).Value, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (BlobFailures.IsNotFound(e))
        {
            return false;
        }
    }

    [LoggerMessage(EventId = BlobEventIds.ContentCorrupt, Level = LogLevel.Error,
        Message = "Content store {Name}: blob {Container}/{BlobName} ({Length} bytes) no longer hashes to its name; it is not used")]
    private partial void LogCorrupt(string name, string container, string blobName, int length);
}
