// The blob content stores of one container: one IContentStore per prefix (e.g. one per world,
// "worlds/<id>/"), so that deleting a world deletes exactly its objects. All stores share the
// container's Polly pipeline, so one circuit breaker tells whether blob storage is reachable.
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Rtfm.Persistence.AzureBlob.Providers;

namespace Rtfm.Persistence.AzureBlob.Storage;

public sealed partial class AzureBlobContentStores
{
    private readonly ResilientBlobContainer _blobs;
    private readonly ILogger<AzureBlobContentStores> _logger;

    public AzureBlobContentStores(IOptions<AzureBlobContentStoreOptions> options, ILogger<AzureBlobContentStores> logger)
        : this(options.Value, "content", logger)
    {
    }

    public AzureBlobContentStores(AzureBlobContentStoreOptions options, string name, ILogger<AzureBlobContentStores> logger)
    {
        _logger = logger;
        _blobs = new ResilientBlobContainer(options, name, logger);
    }

    public string ContainerName => _blobs.Container.Name;

    /// <summary>Closed = healthy; Open = blob storage is failing and calls fail at once.</summary>
    public CircuitState CircuitState => _blobs.CircuitState;

    internal ResilientBlobContainer Blobs => _blobs;

    /// <summary>The store whose objects live under <paramref name="prefix"/> ("" = the container root; otherwise letters, digits, '-', '_', '.', '/' ending in '/').</summary>
    public AzureBlobContentStore ForPrefix(string prefix)
    {
        EnsureValidPrefix(prefix);
        return new AzureBlobContentStore(_blobs, prefix, _logger);
    }

    /// <summary>Deletes every object under <paramref name="prefix"/>; returns how many were deleted.</summary>
    public async Task<int> DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        EnsureValidPrefix(prefix);
        if (prefix.Length == 0) throw new ArgumentException("refusing to delete the whole container: give a non-empty prefix", nameof(prefix));
        var names = await _blobs.RunAsync(async ct =>
        {
            var list = new List<string>();
            try
            {
                await foreach (var item in _blobs.Container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, ct).ConfigureAwait(false))
                    list.Add(item.Name);
            }
            catch (Azure.RequestFailedException e) when (BlobFailures.IsContainerNotFound(e))
            {
                // No container, nothing to delete.
            }
            return list;
        }, cancellationToken).ConfigureAwait(false);
        int deleted = 0;
        foreach (string name in names)
        {
            var blob = _blobs.Container.GetBlobClient(name);
            if (await _blobs.RunAsync(async ct => (await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct).ConfigureAwait(false)).Value, cancellationToken).ConfigureAwait(false))
                deleted++;
        }
        LogPrefixDeleted(_blobs.Name, _blobs.Container.Name, prefix, deleted);
        return deleted;
    }

    private static void EnsureValidPrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length == 0) return;
        if (prefix.Length > 512 || prefix[^1] != '/' || prefix[0] == '/' || prefix.Contains("//", StringComparison.Ordinal) || prefix.Contains("./", StringComparison.Ordinal))
            throw new ArgumentException($"content prefix '{prefix}' must be at most 512 characters, end with '/', not start with '/', and hold no empty or dot-ending segment", nameof(prefix));
        foreach (char c in prefix)
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.' or '/'))
                throw new ArgumentException($"content prefix '{prefix}' contains '{c}'; use letters, digits, '-', '_', '.' and '/'", nameof(prefix));
    }

    [LoggerMessage(EventId = BlobEventIds.PrefixDeleted, Level = LogLevel.Information,
        Message = "Content store {Name}: deleted {Count} objects under {Container}/{Prefix}")]
    private partial void LogPrefixDeleted(string name, string container, string prefix, int count);
}
