// A session: for each pose, gather the frames of the target's tile and its eight neighbours,
// serve an exact-pose revisit from memory, else retrieve at most K frames (the model's policy),
// get their KV blocks (silo LRU -> stored block -> re-encode from the stored frame), render,
// and keep the frame when it is novel. Steps are idempotent by sequence number. What a step keeps
// is written behind (SessionWriteBehind): the step answers once the frame is rendered.
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Rtfm.Core.Geometry;
using Microsoft.Extensions.Logging;
using Rtfm.Core.Imaging;
using Rtfm.Grains.Abstractions;
using Rtfm.Grains.Placement;
using Rtfm.Grains.Services;
using Rtfm.Model;
using Rtfm.Model.Memory;
using Rtfm.Storage;

namespace Rtfm.Grains.Worlds;

[Orleans.Placement.ActivationCountBasedPlacement]
[RenderCapableFilter]
public sealed partial class SessionGrain(
    RenderEngine engine,
    IWorldContentStores stores,
    WriteBehindOptions writeBehind,
    BackgroundWork background,
    PlatformHealth health,
    ILogger<SessionGrain> logger,
    [PersistentState("session", RtfmStorageNames.State)] IPersistentState<SessionState> state) : Grain, ISessionGrain
{
    private SessionWriteBehind? _writes;
    private IContentStore? _content;
    private string? _worldId;
    private WorldInfo? _world;
    private ulong _worldSeed;
    private long _steps;
    private StepResult? _last;

    public async Task<SessionInfo> OpenAsync(string worldId)
    {
        WorldIds.EnsureValid(worldId);
        if (_writes is not null) await _writes.FlushAsync(); // what the session kept in its previous world lands there first
        _world = await GrainFactory.GetGrain<IWorldGrain>(worldId).GetInfoAsync();
        if (_world.Importing) throw new InvalidOperationException($"world '{worldId}' is still being imported");
        _worldId = worldId;
        // The world's noise seed: the same view of the same world gets the same noise on every node.
        _worldSeed = BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(worldId)), 0);
        _last = null;
        _content = stores.ForWorld(worldId);
        _writes = new SessionWriteBehind(worldId, GrainFactory, _content, engine, background, writeBehind, health, logger);
        if (state.State.WorldId != worldId)
        {
            state.State.WorldId = worldId;
            await state.WriteStateAsync();
        }
        return new SessionInfo(worldId, engine.ModelId, _world.Intrinsics, _steps, GrainContext.Address.SiloAddress!.ToString());
    }

    public async Task<StepResult> StepAsync(StepRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_worldId is null && state.State.WorldId is { } reopen)
        {
            // This activation is new (first step after a silo failure or deactivation): reopen.
            LogReopened(logger, this.GetPrimaryKeyString(), reopen);
            await OpenAsync(reopen);
        }
        if (_worldId is null || _world is null || _writes is null) throw new InvalidOperationException("session is not open: call OpenAsync(worldId) first");
        if (_last is not null && request.Sequence == _last.Sequence) return _last; // a retried step
        if (_last is not null && request.Sequence < _last.Sequence)
            throw new ArgumentException($"step sequence {request.Sequence} is behind the last step {_last.Sequence}");
        var pose = request.Pose.ToPose("step");
        long t0 = Stopwatch.GetTimestamp();
        var k = _world.Intrinsics.ToIntrinsics();
        var content = _content!;

        var cell = TileCell.Of(pose.Position.X, pose.Position.Z, _world.TileSize);
        await _writes.WaitForRoomAsync();
        // What this session kept but has not written yet, snapshot before the tiles are read: a
        // frame that lands in its tile meanwhile is then seen at least once (deduplicated below).
        var pending = _writes.Frames();
        // Likewise a view of exactly this pose that is not yet in its tile: once the tiles are read it
        // may have moved from the queue to the tile, and then neither would answer.
        byte[]? pendingView = _writes.ViewImage(request.Pose);
        // The nine tiles are read in parallel: one round trip, not nine. A tile that cannot be read
        // (storage down while it activates) counts as empty: the step renders from what is in memory.
        string worldId = _worldId;
        var perTile = await Task.WhenAll(cell.WithNeighbours().Select(async c =>
        {
            try
            {
                // The camera's own tile also answers whether a view from exactly this pose is cached.
                var read = await GrainFactory.GetGrain<ISpatialTileGrain>(c.Key(worldId)).ReadAsync(c == cell ? request.Pose : null);
                return (Cell: c, read.Frames, read.ViewImage);
            }
            catch (Exception ex) when (IsStorageFailure(ex))
            {
                LogDegraded(logger, worldId, $"tile {c.X},{c.Z} unreadable", ex.Message);
                return (Cell: c, Frames: (IReadOnlyList<FrameRecord>)[], ViewImage: (string?)null);
            }
        }));
        var candidates = perTile.SelectMany(t => t.Frames.Select(f => (t.Cell, Frame: f))).ToList();
        var seen = candidates.Select(c => c.Frame.FrameId).ToHashSet(StringComparer.Ordinal);
        var pendingByImage = pending.ToDictionary(p => p.Record.ImageName, StringComparer.Ordinal);
        candidates.AddRange(pending.Where(p => seen.Add(p.Record.FrameId) && IsNeighbour(cell, p.Cell)).Select(p => (p.Cell, Frame: p.Record)));

        StepResult result;
        var exact = candidates.FirstOrDefault(c => c.Frame.Pose == request.Pose);
        byte[]? remembered = exact.Frame is not null && pendingByImage.TryGetValue(exact.Frame.ImageName, out var pendingExact)
            ? pendingExact.Png
            : exact.Frame is null ? pendingView : null;
        if (remembered is null)
        {
            try
            {
                string? viewImage = exact.Frame is null ? perTile.First(t => t.Cell == cell).ViewImage : null;
                if (exact.Frame is not null || viewImage is not null)
                {
                    // An exact revisit: the stored frame, or the cached view rendered from this pose before.
                    string name = exact.Frame?.ImageName ?? viewImage!;
                    try { remembered = await content.GetAsync(ContentName.Parse(name)); }
                    catch (InvalidDataException) when (exact.Frame is null) { } // a damaged cached view is re-rendered
                    if (remembered is null && exact.Frame is not null) throw new InvalidDataException($"frame {exact.Frame.FrameId} image is missing from the store");
                }
            }
            catch (Exception ex) when (IsStorageFailure(ex))
            {
                LogDegraded(logger, worldId, "revisit image unreadable, rendering it", ex.Message);
            }
        }
        if (remembered is not null)
        {
            result = new StepResult(request.Sequence, remembered, [exact.Frame?.FrameId ?? "view"], FromMemory: true, WrittenBack: false, 0, Stopwatch.GetElapsedTime(t0).TotalMilliseconds, candidates.Count);
        }
        else
        {
            var memory = candidates.Select(c => new MemoryFrame(c.Frame.FrameId, c.Frame.Pose.ToPose(c.Frame.FrameId))).ToArray();
            var picked = SpatialRetrieval.Retrieve(pose, memory, engine.Config.ContextFrames);
            var byId = candidates.ToDictionary(c => c.Frame.FrameId, StringComparer.Ordinal);
            var blocks = new List<KeyedKvBlock>();
            foreach (var p in picked)
            {
                var (c, f) = byId[p.Frame.Id];
                try { blocks.Add(new(BlockKey(f.ImageName), pendingByImage.TryGetValue(f.ImageName, out var pf) ? await pf.Block : await BlockForAsync(c, f, content, k))); }
                catch (Exception ex) when (IsStorageFailure(ex))
                {
                    // Storage down and the block not in memory: render from the context that is.
                    LogDegraded(logger, worldId, $"frame {f.FrameId} unreadable, left out of the context", ex.Message);
                }
            }
            long r0 = Stopwatch.GetTimestamp();
            var frame = await engine.RenderAsync(pose, k, blocks, FrameSeeds.For(_worldSeed, pose));
            double renderMs = Stopwatch.GetElapsedTime(r0).TotalMilliseconds;
            using var ms = new MemoryStream();
            PngCodec.Write(frame, ms);
            byte[] png = ms.ToArray();
            bool novel = memory.All(m => SpatialRetrieval.Score(pose, m.Pose, RetrievalOptions.Default) >= SpatialMemory.DefaultNoveltyThreshold);
            if (novel) KeepFrame(cell, pose, frame, png, k);
            else _writes.AddView(cell, request.Pose, png);
            result = new StepResult(request.Sequence, png, picked.Select(p => p.Frame.Id).ToArray(), FromMemory: false, novel, renderMs, Stopwatch.GetElapsedTime(t0).TotalMilliseconds, candidates.Count);
        }
        _steps++;
        _last = result;
        return result;
    }

    /// <summary>The frame's KV block: silo cache, else its stored block, else re-encoded from its image (and stored).</summary>
    private async Task<KvBlock> BlockForAsync(TileCell cell, FrameRecord f, IContentStore content, Intrinsics k)
    {
        string key = BlockKey(f.ImageName);
        if (engine.GetCached(key) is { } cached) return cached;
        KvBlock? block = null;
        if (f.KvName is not null && f.KvModelVersion == engine.ModelId)
        {
            byte[]? bytes = null;
            try { bytes = await content.GetAsync(ContentName.Parse(f.KvName)); }
            catch (InvalidDataException ex)
            {
                // Corrupt in the store (its bytes no longer hash to its name): never used. Removed, so
                // that the re-encoded block (same bytes, same name) heals it below.
                LogCorruptBlock(logger, _worldId!, f.FrameId, ex.Message);
                await content.DeleteAsync(ContentName.Parse(f.KvName));
            }
            if (bytes is not null) block = await engine.TryDeserializeAsync(bytes, $"{_worldId}/{f.FrameId}");
        }
        if (block is null)
        {
            var png = await content.GetAsync(ContentName.Parse(f.ImageName)) ?? throw new InvalidDataException($"frame {f.FrameId} image is missing from the store");
            block = await engine.EncodeAsync(PngCodec.Decode(png), f.Pose.ToPose(f.FrameId), k, key);
            try
            {
                var kvName = await content.PutAsync(await engine.SerializeAsync(block));
                await GrainFactory.GetGrain<ISpatialTileGrain>(cell.Key(_worldId!)).SetKvAsync(f.FrameId, kvName.Value, engine.ModelId);
            }
            catch (Exception ex) when (IsStorageFailure(ex))
            {
                LogDegraded(logger, _worldId!, $"re-encoded block of {f.FrameId} not stored (it is cached; stored on a later miss)", ex.Message);
            }
        }
        engine.PutCached(key, block);
        return block;
    }

    /// <summary>Keeps a novel frame: its KV block is encoded next on the engine (before any later render)
    /// and cached; image, block and tile record are written behind.</summary>
    private void KeepFrame(TileCell cell, Pose pose, RgbImage frame, byte[] png, Intrinsics k)
    {
        var imageName = ContentName.Of(png);
        string key = BlockKey(imageName.Value);
        // Frame ids from the image hash: a retried write-back of the same frame is a no-op.
        var record = new FrameRecord($"gen-{imageName.Hex[..16]}", pose.ToDto(), imageName.Value, KvName: null, KvModelVersion: null, Generated: true);
        _writes!.AddFrame(new SessionWriteBehind.PendingFrame(cell, record, png, () => EncodeAndCacheAsync(frame, pose, k, key)));
    }

    private async Task<KvBlock> EncodeAndCacheAsync(RgbImage frame, Pose pose, Intrinsics k, string key)
    {
        var block = await engine.EncodeAsync(frame, pose, k, key);
        engine.PutCached(key, block);
        return block;
    }

    /// <summary>A frame's block in the silo's caches: the model's version and the frame's content name.</summary>
    private string BlockKey(string imageName) => engine.ModelId + "|" + imageName;

    private static bool IsNeighbour(TileCell a, TileCell b) => Math.Abs(a.X - b.X) <= 1 && Math.Abs(a.Z - b.Z) <= 1;

    /// <summary>Writes everything this session kept; returns how many items were written.</summary>
    public Task<int> FlushAsync() => _writes?.FlushAsync() ?? Task.FromResult(0);

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_writes is not null)
        {
            try { await _writes.FlushAsync().WaitAsync(cancellationToken); }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
            {
                LogLostOnDeactivation(logger, _worldId!, _writes.Count, ex.Message);
                _writes.Abandon();
            }
        }
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    public Task<SessionInfo> GetInfoAsync() =>
        Task.FromResult(new SessionInfo(_worldId ?? state.State.WorldId ?? "", engine.ModelId, _world?.Intrinsics ?? new IntrinsicsDto(0, 0, 0, 0, 0, 0), _steps, GrainContext.Address.SiloAddress!.ToString(),
            _writes?.PendingFrames ?? 0, _writes?.LastError));

    /// <summary>Failures of storage (blob down, circuit open, timeouts), not of the request or the engine.</summary>
    private static bool IsStorageFailure(Exception ex) =>
        ex is not (RenderBusyException or ArgumentException or KeyNotFoundException or InvalidDataException or OperationCanceledException or InvalidOperationException);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "Session on world {WorldId} degraded: {What}: {Reason}")]
    private static partial void LogDegraded(ILogger logger, string worldId, string what, string reason);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Warning, Message = "World {WorldId}: stored KV block of frame {FrameId} is corrupt ({Reason}); recomputing it from the frame")]
    private static partial void LogCorruptBlock(ILogger logger, string worldId, string frameId, string reason);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Session {SessionId} reopened on world {WorldId} in a new activation")]
    private static partial void LogReopened(ILogger logger, string sessionId, string worldId);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Error, Message = "Session on world {WorldId} deactivated with {Pending} kept frames/views unwritten: {Reason}")]
    private static partial void LogLostOnDeactivation(ILogger logger, string worldId, int pending, string reason);
}
