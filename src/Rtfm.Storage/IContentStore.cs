// Content-addressed storage for a world's bulky data (frame images, KV blocks): an object's
// name is the hash of its bytes, so writes are idempotent and deduplicated, and a read can
// always verify what it got. Grain state holds only these names. Implementations: a local
// directory (embedded default) and, later, Azure Blob storage.
namespace Rtfm.Storage;

public interface IContentStore
{
    /// <summary>
    /// Stores the bytes (a no-op when already stored) and returns their name. With
    /// <paramref name="durable"/> false the write may be lost on a crash (caches); either way a
    /// partial object never appears under its name.
    /// </summary>
    Task<ContentName> PutAsync(ReadOnlyMemory<byte> content, bool durable = true, CancellationToken cancellationToken = default);

    /// <summary>The bytes stored under <paramref name="name"/>, verified against it; null when absent.
    /// Throws <see cref="InvalidDataException"/> when the stored bytes no longer match their name.</summary>
    Task<byte[]?> GetAsync(ContentName name, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(ContentName name, CancellationToken cancellationToken = default);

    /// <summary>Removes the object; true when it existed.</summary>
    Task<bool> DeleteAsync(ContentName name, CancellationToken cancellationToken = default);
}
