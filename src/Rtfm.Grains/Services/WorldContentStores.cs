// Where each world's bulky data lives: one content store per world, so deleting a world
// removes exactly its objects (content addressing deduplicates within a world, not across).
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
