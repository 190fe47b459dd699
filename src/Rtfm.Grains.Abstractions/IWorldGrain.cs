// A persistent world: its description, the set of its spatial tiles, its lifetime.
namespace Rtfm.Grains.Abstractions;

/// <summary>Key: the world id (letters, digits, '-' and '_', at most 64).</summary>
public interface IWorldGrain : IGrainWithStringKey
{
    /// <summary>Creates the world; fails if it exists or if any input is invalid (nothing is written then).</summary>
    Task<WorldInfo> CreateAsync(WorldCreateRequest request);

    /// <summary>The world's description; KeyNotFoundException when it does not exist.</summary>
    Task<WorldInfo> GetInfoAsync();

    Task<bool> ExistsAsync();

    /// <summary>The cells that hold frames.</summary>
    Task<IReadOnlyList<TileCell>> ListTilesAsync();

    /// <summary>Records that a tile gained frames (called by tiles and sessions).</summary>
    Task FramesAddedAsync(TileCell cell, int count);

    /// <summary>Deletes the world and everything it stored; false when it did not exist.</summary>
    Task<bool> DeleteAsync();

    /// <summary>Verified bytes of stored objects (frame images) by content name, for export; at most 256 names a call.</summary>
    Task<IReadOnlyList<byte[]>> ReadContentAsync(IReadOnlyList<string> names);

    /// <summary>Starts importing a world from an archive: the world exists but refuses sessions until <see cref="EndImportAsync"/>.</summary>
    Task BeginImportAsync(WorldImportHeader header);

    /// <summary>Adds a batch of archived frames (at most 256; each image checked against its content name). Returns how many were new.</summary>
    Task<int> ImportFramesAsync(IReadOnlyList<ImportedFrame> frames);

    /// <summary>Ends an import: the world opens to sessions and joins the catalog.</summary>
    Task<WorldInfo> EndImportAsync();
}

/// <summary>Key: <see cref="TileCell.Key"/> ("world/x/z"). Holds the frames whose camera lies in the cell.</summary>
public interface ISpatialTileGrain : IGrainWithStringKey
{
    /// <summary>Adds frames; a frame whose id is already stored is skipped. Returns how many were added.</summary>
    Task<int> AddFramesAsync(IReadOnlyList<FrameRecord> frames);

    Task<IReadOnlyList<FrameRecord>> GetFramesAsync();

    /// <summary>The tile's frames and, when <paramref name="viewPose"/> is given, the cached view from exactly that pose:
    /// what a session step needs of a tile in one call.</summary>
    Task<TileRead> ReadAsync(PoseDto? viewPose);

    /// <summary>Records the KV block stored for a frame (after a lazy encode).</summary>
    Task SetKvAsync(string frameId, string kvName, string modelVersion);

    /// <summary>The image of a cached view rendered from exactly <paramref name="pose"/>, if any.</summary>
    Task<string?> GetViewAsync(PoseDto pose);

    /// <summary>Caches a rendered view (bounded per tile; the oldest views go first).</summary>
    Task AddViewAsync(ViewRecord view);

    /// <summary>Clears the tile (frames and views); returns the frames it held.</summary>
    Task<IReadOnlyList<FrameRecord>> ClearAsync();
}

/// <summary>Key: "catalog" (one per cluster). The list of worlds, kept by the world grains.</summary>
public interface IWorldCatalogGrain : IGrainWithStringKey
{
    public const string Key = "catalog";

    Task AddAsync(string worldId);

    Task RemoveAsync(string worldId);

    Task<IReadOnlyList<string>> ListAsync();
}
