// A session's write-behind queue. A step answers as soon as its frame is rendered; what the step
// decided to keep (a novel frame: image, KV block, tile record, world count; or a cached view) is
// written afterwards, in order, while the next frames render. Until an item is written it stays
// visible to this session's own steps (as a retrieval candidate, an exact revisit, a KV block),
// so a session sees exactly what it would have seen with synchronous writes: frames stay
// bit-identical. Other sessions see the item once its tile has it. The queue is bounded: kept
// frames by count (each holds a KV block in memory), cached views by count, oldest view dropped
// first (a view is a cache: losing one costs a re-render). With storage down, steps keep
// rendering until the frame bound is reached, then fail clearly until storage is back.
// Everything here runs on the owning grain's scheduler (one thread at a time): no locks. The
// storage work itself (hashing, serialising, writing objects) runs on the silo's background
// thread (BackgroundWork, idle CPU priority), so that it never preempts a render.
using Microsoft.Extensions.Logging;
using Rtfm.Grains.Abstractions;
using Rtfm.Grains.Services;
using Rtfm.Model;
using Rtfm.Storage;

namespace Rtfm.Grains.Worlds;

internal sealed partial class SessionWriteBehind(
    string worldId, IGrainFactory grains, IContentStore content, RenderEngine engine, BackgroundWork background, WriteBehindOptions options, PlatformHealth health, ILogger logger)
{
    private bool _failing;
    /// <summary>A generated frame kept as memory, with its image bytes and its (possibly still encoding) KV block.</summary>
    public sealed class PendingFrame(TileCell cell, FrameRecord record, byte[] png, Func<Task<KvBlock>> encode)
    {
        private Task<KvBlock> _block = encode();

        public TileCell Cell => cell;

        public FrameRecord Record => record;

        public byte[] Png => png;

        /// <summary>Frames the tile took (0 when it had it already), once its write succeeded: a retry
        /// after a failed world update must not add to the tile again, only count in the world.</summary>
        public int? TileAdded { get; set; }

        /// <summary>The frame's KV block; an encode that failed (e.g. the engine was busy) is started again.</summary>
        public Task<KvBlock> Block => _block.IsFaulted || _block.IsCanceled ? _block = encode() : _block;
    }

    private sealed record PendingView(TileCell Cell, PoseDto Pose, byte[] Png);

    private readonly LinkedList<object> _queue = new(); // PendingFrame | PendingView, in step order
    private Task _drain = Task.CompletedTask;
    private Exception? _lastError;
    private int _frames, _views;

    public int Count => _queue.Count;

    public int PendingFrames => _frames;

    /// <summary>Why the last write failed, while items are still pending; null when healthy.</summary>
    public string? LastError => _queue.Count > 0 ? _lastError?.Message : null;

    /// <summary>The frames not yet in their tiles: a snapshot, taken before reading the tiles.</summary>
    public PendingFrame[] Frames() => _queue.OfType<PendingFrame>().ToArray();

    /// <summary>The image of a view rendered from exactly <paramref name="pose"/> that is not yet in its tile's view cache.</summary>
    public byte[]? ViewImage(PoseDto pose) => _queue.OfType<PendingView>().LastOrDefault(v => v.Pose == pose)?.Png;

    public void AddFrame(PendingFrame frame)
    {
        _queue.AddLast(frame);
        _frames++;
        health.FramesQueued(1);
        Kick();
    }

    public void AddView(TileCell cell, PoseDto pose, byte[] png)
    {
        _queue.AddLast(new PendingView(cell, pose, png));
        _views++;
        // Views are a cache: over the bound the oldest queued one is dropped (never the head, which may be in flight).
        if (_views > options.MaxPendingViews)
        {
            for (var node = _queue.First?.Next; node is not null; node = node.Next)
            {
                if (node.Value is PendingView)
                {
                    _queue.Remove(node);
                    _views--;
                    break;
                }
            }
        }
        Kick();
    }

    /// <summary>Waits until the queue has room for another kept frame; fails clearly when storage is failing and it is full.</summary>
    public async Task WaitForRoomAsync()
    {
        Kick();
        while (_frames >= options.MaxPendingFrames)
        {
            await _drain;
            if (_frames >= options.MaxPendingFrames && _lastError is not null)
                throw new InvalidOperationException($"session write-back is failing with {_frames} kept frames pending (the bound): {_lastError.Message}");
            Kick();
        }
    }

    /// <summary>Writes everything queued; throws when an item cannot be written (it stays queued and is retried).</summary>
    public async Task<int> FlushAsync()
    {
        int before = _queue.Count;
        Kick();
        await _drain;
        if (_queue.Count > 0)
            throw new InvalidOperationException($"session write-back failed with {_queue.Count} items pending: {_lastError?.Message}");
        return before;
    }

    /// <summary>The session is going away with items it could not write: they are lost (logged by the
    /// caller) and no longer counted in the silo's health.</summary>
    public void Abandon()
    {
        health.FramesQueued(-_frames);
        if (_failing) health.SessionRecovered();
        _failing = false;
        _queue.Clear();
        _frames = _views = 0;
    }

    /// <summary>(Re)starts the writer when it is idle and there is work, e.g. after a failure.</summary>
    private void Kick()
    {
        if (_drain.IsCompleted && _queue.Count > 0) _drain = DrainAsync();
    }

    private async Task DrainAsync()
    {
        await Task.Yield(); // let the step that queued the item answer first
        while (_queue.First is { } node)
        {
            try
            {
                if (node.Value is PendingFrame f) await WriteFrameAsync(f);
                else await WriteViewAsync((PendingView)node.Value);
            }
            catch (Exception ex)
            {
                // The item stays at the head, visible to the session, and is retried on the next step or flush.
                _lastError = ex;
                if (!_failing)
                {
                    _failing = true;
                    health.SessionFailing($"world {worldId}: {ex.Message}");
                }
                LogWriteFailed(logger, worldId, _queue.Count, ex.Message);
                return;
            }
            if (_queue.First != node) return; // abandoned meanwhile
            _queue.RemoveFirst();
            if (node.Value is PendingFrame)
            {
                _frames--;
                health.FramesQueued(-1);
            }
            else
            {
                _views--;
            }
            _lastError = null;
            if (_failing)
            {
                _failing = false;
                health.SessionRecovered();
            }
        }
    }

    private async Task WriteFrameAsync(PendingFrame f)
    {
        // Content first, then the references to it: a crash in between leaves an unreferenced
        // object (harmless, deduplicated on the next write), never a reference to nothing.
        await background.Run(() => content.PutAsync(f.Png));
        var block = await f.Block;
        var kvName = await background.Run(() => content.PutAsync(engine.Serialize(block)));
        var record = f.Record with { KvName = kvName.Value, KvModelVersion = engine.ModelId };
        f.TileAdded ??= await grains.GetGrain<ISpatialTileGrain>(f.Cell.Key(worldId)).AddFramesAsync([record]);
        if (f.TileAdded > 0) await grains.GetGrain<IWorldGrain>(worldId).FramesAddedAsync(f.Cell, f.TileAdded.Value);
    }

    private async Task WriteViewAsync(PendingView v)
    {
        var name = await background.Run(() => content.PutAsync(v.Png, durable: false));
        await grains.GetGrain<ISpatialTileGrain>(v.Cell.Key(worldId)).AddViewAsync(new ViewRecord(v.Pose, name.Value));
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Write-back for world {WorldId} failed with {Pending} items pending; retrying on the next step: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, string worldId, int pending, string reason);
}
