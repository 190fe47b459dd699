// Where each world's bulky data lives: one content store per world, so deleting a world
// removes exactly its objects (content addressing deduplicates within a world, not across).
using Rtfm.Persistence.AzureBlob.Storage;
using Rtfm.Storage;

namespace Rtfm.Grains.Services;

public interface IWorldContentStores
{
    IContentStore ForWorld(string worldId);

    /// <summary>Removes every object of the world.</summary>
    Task DeleteWorldAsync(string worldId, CancellationToken cancellationToken = default);
}

/// <summary>The embedded default: ROOT/&lt;world id&gt;/ on the local disk.</summary>
public sealed class FileWorldContentStores(string root) : IWorldContentStores
{
    private readonly string _root = Path.GetFullPath(root);

    public IContentStore ForWorld(string worldId) => new FileContentStore(Path.Combine(_root, WorldIds.EnsureValid(worldId)));

    public Task DeleteWorldAsync(string worldId, CancellationToken cancellationToken = default)
    {
        string dir = Path.Combine(_root, WorldIds.EnsureValid(worldId));
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>Durable: one blob prefix per world ("worlds/&lt;id&gt;/") in one container, so any node resumes any world.</summary>
public sealed class BlobWorldContentStores(AzureBlobContentStores blobs) : IWorldContentStores
{
    private static string Prefix(string worldId) => $"worlds/{WorldIds.EnsureValid(worldId)}/";

    public IContentStore ForWorld(string worldId) => blobs.ForPrefix(Prefix(worldId));

    public Task DeleteWorldAsync(string worldId, CancellationToken cancellationToken = default) =>
        blobs.DeletePrefixAsync(Prefix(worldId), cancellationToken);
}
