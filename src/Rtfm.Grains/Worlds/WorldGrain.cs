// A persistent world. Creation validates every input before anything is written (a bad image
// or pose leaves no trace), stores the images in the world's content store, files each frame
// under the tile of its camera's cell, then records the world. Pixel work (PNG decode/encode,
// procedural ground truth) runs on the thread pool, off the grain scheduler.
using Microsoft.Extensions.Logging;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;
using Rtfm.Grains.Abstractions;
using Rtfm.Grains.Services;
using Rtfm.Scenes;

namespace Rtfm.Grains.Worlds;

public sealed partial class WorldGrain(
    [PersistentState("world", RtfmStorageNames.State)] IPersistentState<WorldState> state,
    IWorldContentStores stores,
    PlatformModel model,
    TimeProvider time,
    ILogger<WorldGrain> logger) : Grain, IWorldGrain
{
    /// <summary>Most images one create call accepts.</summary>
    public const int MaxImagesPerCall = 64;

    /// <summary>Largest PNG accepted (bytes).</summary>
    public const int MaxImageBytes = 4 * 1024 * 1024;

    /// <summary>Most procedural frames a world may start from.</summary>
    public const int MaxSceneFrames = 256;

    private string WorldId => this.GetPrimaryKeyString();

    public async Task<WorldInfo> CreateAsync(WorldCreateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        WorldIds.EnsureValid(WorldId);
        if (state.State.Exists) throw new InvalidOperationException($"world '{WorldId}' already exists");
        if (!(request.TileSize >= 0.5f && request.TileSize <= 1000f)) throw new ArgumentException($"tile size {request.TileSize} must be between 0.5 and 1000 metres");
        var frames = await Task.Run(() => PrepareFrames(request));

        var content = stores.ForWorld(WorldId);
        var records = new List<(TileCell Cell, FrameRecord Record)>();
        for (int i = 0; i < frames.Count; i++)
        {
            var (png, pose) = frames[i];
            var name = await content.PutAsync(png);
            records.Add((TileCell.Of(pose.Position.X, pose.Position.Z, request.TileSize),
                new FrameRecord($"in-{i:D6}", pose.ToDto(), name.Value, KvName: null, KvModelVersion: null, Generated: false)));
        }
        foreach (var group in records.GroupBy(r => r.Cell))
            await GrainFactory.GetGrain<ISpatialTileGrain>(group.Key.Key(WorldId)).AddFramesAsync(group.Select(g => g.Record).ToArray());

        var now = time.GetUtcNow();
        var k = request.SceneSeed is { } seed && request.Images.Count == 0
            ? SceneGenerator.Generate(seed).DefaultIntrinsics(model.Config.ImageWidth, model.Config.ImageHeight).ToDto()
            : request.Intrinsics!;
        state.State = new WorldState
        {
            Exists = true,
            Owner = request.Owner,
            ModelId = model.ModelId,
            TileSize = request.TileSize,
            FrameCount = records.Count,
            Tiles = records.Select(r => r.Cell).Distinct().ToList(),
            Created = now,
            Updated = now,
            Intrinsics = k,
            SceneSeed = request.Images.Count == 0 ? request.SceneSeed : null,
        };
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IWorldCatalogGrain>(IWorldCatalogGrain.Key).AddAsync(WorldId);
        LogCreated(logger, WorldId, records.Count, state.State.Tiles.Count);
        return Info();
    }

    /// <summary>Decodes and checks every input (or renders the procedural frames): all or nothing.</summary>
    private List<(byte[] Png, Pose Pose)> PrepareFrames(WorldCreateRequest request)
    {
        var c = model.Config;
        if (string.IsNullOrWhiteSpace(request.Owner)) throw new ArgumentException("owner is empty");
        var images = request.Images ?? [];
        var result = new List<(byte[], Pose)>();
        if (images.Count == 0)
        {
            if (request.SceneSeed is not { } seed) throw new ArgumentException("a world needs at least one posed image or a procedural scene seed");
            if (request.SceneFrames < 1 || request.SceneFrames > MaxSceneFrames) throw new ArgumentException($"scene frames {request.SceneFrames} must be between 1 and {MaxSceneFrames}");
            var scene = SceneGenerator.Generate(seed);
            var k = scene.DefaultIntrinsics(c.ImageWidth, c.ImageHeight);
            foreach (var pose in Trajectories.Walk(scene, request.SceneFrames, seed))
            {
                using var ms = new MemoryStream();
                PngCodec.Write(RayTracer.Render(scene, pose, k), ms);
                result.Add((ms.ToArray(), pose));
            }
            return result;
        }
        if (images.Count > MaxImagesPerCall) throw new ArgumentException($"{images.Count} images in one call; at most {MaxImagesPerCall}: create the world with fewer and add the rest later");
        var intrinsics = request.Intrinsics ?? throw new ArgumentException("intrinsics are required with uploaded images");
        if (intrinsics.ToIntrinsics().Validate() is { } bad) throw new ArgumentException($"intrinsics: {bad}");
        if (intrinsics.Width != c.ImageWidth || intrinsics.Height != c.ImageHeight)
            throw new ArgumentException($"intrinsics are for {intrinsics.Width}x{intrinsics.Height} images; the model takes {c.ImageWidth}x{c.ImageHeight}");
        for (int i = 0; i < images.Count; i++)
        {
            var img = images[i] ?? throw new ArgumentException($"image {i} is missing");
            if (img.Png is null || img.Png.Length == 0) throw new ArgumentException($"image {i} is empty");
            if (img.Png.Length > MaxImageBytes) throw new ArgumentException($"image {i} is {img.Png.Length} bytes; the limit is {MaxImageBytes}");
            RgbImage decoded;
            try { decoded = PngCodec.Decode(img.Png); }
            catch (InvalidDataException ex) { throw new ArgumentException($"image {i} is not a readable PNG: {ex.Message}"); }
            if (decoded.Width != c.ImageWidth || decoded.Height != c.ImageHeight)
                throw new ArgumentException($"image {i} is {decoded.Width}x{decoded.Height}; the model takes {c.ImageWidth}x{c.ImageHeight}");
            result.Add((img.Png, img.Pose.ToPose($"image {i}")));
        }
        return result;
    }

    public Task<WorldInfo> GetInfoAsync() =>
        state.State.Exists ? Task.FromResult(Info()) : throw new KeyNotFoundException($"world '{WorldId}' does not exist");

    public Task<bool> ExistsAsync() => Task.FromResult(state.State.Exists);

    public Task<IReadOnlyList<TileCell>> ListTilesAsync() =>
        state.State.Exists ? Task.FromResult<IReadOnlyList<TileCell>>(state.State.Tiles.ToArray()) : throw new KeyNotFoundException($"world '{WorldId}' does not exist");

    public async Task FramesAddedAsync(TileCell cell, int count)
    {
        if (!state.State.Exists) throw new KeyNotFoundException($"world '{WorldId}' does not exist");
        if (count <= 0) return;
        bool newTile = !state.State.Tiles.Contains(cell);
        var updated = state.State.Updated;
        if (newTile) state.State.Tiles.Add(cell);
        state.State.FrameCount += count;
        state.State.Updated = time.GetUtcNow();
        try { await state.WriteStateAsync(); }
        catch
        {
            // Storage failed: memory goes back to what is stored, so the caller's retry counts once.
            if (newTile) state.State.Tiles.Remove(cell);
            state.State.FrameCount -= count;
            state.State.Updated = updated;
            throw;
        }
    }

    public async Task<bool> DeleteAsync()
    {
        if (!state.State.Exists) return false;
        foreach (var cell in state.State.Tiles)
            await GrainFactory.GetGrain<ISpatialTileGrain>(cell.Key(WorldId)).ClearAsync();
        await stores.DeleteWorldAsync(WorldId);
        await state.ClearStateAsync();
        state.State = new WorldState(); // Orleans does not reset the state object on clear
        await GrainFactory.GetGrain<IWorldCatalogGrain>(IWorldCatalogGrain.Key).RemoveAsync(WorldId);
        LogDeleted(logger, WorldId);
        DeactivateOnIdle();
        return true;
    }

    /// <summary>Most objects or frames one export/import call carries.</summary>
    public const int MaxBatch = 256;

    public async Task<IReadOnlyList<byte[]>> ReadContentAsync(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (!state.State.Exists) throw new KeyNotFoundException($"world '{WorldId}' does not exist");
        if (names.Count > MaxBatch) throw new ArgumentException($"{names.Count} names in one call; the limit is {MaxBatch}");
        var content = stores.ForWorld(WorldId);
        var result = new byte[names.Count][];
        for (int i = 0; i < names.Count; i++)
        {
            if (!Rtfm.Storage.ContentName.TryParse(names[i], out var name)) throw new ArgumentException($"'{names[i]}' is not a content name");
            result[i] = await content.GetAsync(name) ?? throw new InvalidDataException($"object {name} of world '{WorldId}' is missing from its store");
        }
        return result;
    }

    public async Task BeginImportAsync(WorldImportHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        WorldIds.EnsureValid(WorldId);
        if (state.State.Exists) throw new InvalidOperationException($"world '{WorldId}' already exists: import under another id or delete it first");
        if (string.IsNullOrWhiteSpace(header.Owner)) throw new ArgumentException("owner is empty");
        if (!(header.TileSize >= 0.5f && header.TileSize <= 1000f)) throw new ArgumentException($"tile size {header.TileSize} must be between 0.5 and 1000 metres");
        var k = header.Intrinsics ?? throw new ArgumentException("the archive has no intrinsics");
        if (k.Width != model.Config.ImageWidth || k.Height != model.Config.ImageHeight)
            throw new ArgumentException($"the archive's frames are {k.Width}x{k.Height}; this cluster's model takes {model.Config.ImageWidth}x{model.Config.ImageHeight}");
        var now = time.GetUtcNow();
        state.State = new WorldState
        {
            Exists = true,
            Importing = true,
            Owner = header.Owner,
            ModelId = model.ModelId,
            TileSize = header.TileSize,
            Created = now,
            Updated = now,
            Intrinsics = k,
            SceneSeed = header.SceneSeed,
        };
        await state.WriteStateAsync();
    }

    public async Task<int> ImportFramesAsync(IReadOnlyList<ImportedFrame> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (!state.State.Exists || !state.State.Importing) throw new InvalidOperationException($"world '{WorldId}' is not being imported: call BeginImportAsync first");
        if (frames.Count > MaxBatch) throw new ArgumentException($"{frames.Count} frames in one call; the limit is {MaxBatch}");
        var c = model.Config;
        // Everything is checked before anything is written: a bad frame fails the whole batch.
        await Task.Run(() =>
        {
            for (int i = 0; i < frames.Count; i++)
            {
                var f = frames[i] ?? throw new ArgumentException($"frame {i} is missing");
                if (f.Png is null || f.Png.Length == 0 || f.Png.Length > MaxImageBytes) throw new ArgumentException($"frame {f.Record.FrameId}: image is empty or over {MaxImageBytes} bytes");
                if (!Rtfm.Storage.ContentName.TryParse(f.Record.ImageName, out var name) || !name.Matches(f.Png))
                    throw new InvalidDataException($"frame {f.Record.FrameId}: its image does not match its name {f.Record.ImageName} (damaged archive)");
                f.Record.Pose.ToPose(f.Record.FrameId);
                RgbImage img;
                try { img = PngCodec.Decode(f.Png); }
                catch (InvalidDataException ex) { throw new ArgumentException($"frame {f.Record.FrameId}: not a readable PNG: {ex.Message}"); }
                if (img.Width != c.ImageWidth || img.Height != c.ImageHeight) throw new ArgumentException($"frame {f.Record.FrameId} is {img.Width}x{img.Height}; the model takes {c.ImageWidth}x{c.ImageHeight}");
            }
        });
        var content = stores.ForWorld(WorldId);
        // Images first (16 writes in flight: remote stores are latency-bound), then the references.
        foreach (var chunk in frames.Chunk(16)) await Task.WhenAll(chunk.Select(f => content.PutAsync(f.Png)));
        int added = 0;
        // KV blocks are derived data: not carried by archives, recomputed on first use by this cluster's model.
        foreach (var group in frames.GroupBy(f => TileCell.Of(f.Record.Pose.X, f.Record.Pose.Z, state.State.TileSize)))
        {
            int n = await GrainFactory.GetGrain<ISpatialTileGrain>(group.Key.Key(WorldId))
                .AddFramesAsync(group.Select(f => f.Record with { KvName = null, KvModelVersion = null }).ToArray());
            if (n > 0 && !state.State.Tiles.Contains(group.Key)) state.State.Tiles.Add(group.Key);
            added += n;
        }
        // One state write a batch (an import stays resumable: re-sent frames are skipped by id).
        state.State.FrameCount += added;
        state.State.Updated = time.GetUtcNow();
        await state.WriteStateAsync();
        return added;
    }

    public async Task<WorldInfo> EndImportAsync()
    {
        if (!state.State.Exists || !state.State.Importing) throw new InvalidOperationException($"world '{WorldId}' is not being imported");
        if (state.State.FrameCount == 0) throw new InvalidOperationException($"world '{WorldId}' has no frames: an archive holds at least one");
        state.State.Importing = false;
        state.State.Updated = time.GetUtcNow();
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IWorldCatalogGrain>(IWorldCatalogGrain.Key).AddAsync(WorldId);
        LogCreated(logger, WorldId, state.State.FrameCount, state.State.Tiles.Count);
        return Info();
    }

    private WorldInfo Info()
    {
        var s = state.State;
        return new WorldInfo(WorldId, s.Owner, s.ModelId, s.TileSize, s.FrameCount, s.Tiles.Count, s.Created, s.Updated, s.Intrinsics!, s.SceneSeed, s.Importing);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "World {WorldId} created: {Frames} frames in {Tiles} tiles")]
    private static partial void LogCreated(ILogger logger, string worldId, int frames, int tiles);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "World {WorldId} deleted")]
    private static partial void LogDeleted(ILogger logger, string worldId);
}
