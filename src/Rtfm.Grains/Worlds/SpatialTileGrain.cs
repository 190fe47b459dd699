// A spatial tile: the frames whose camera lies in one ground cell of one world. Small state
// (references only), written on every change of its frames; a frame change whose write fails
// is undone in memory, so memory never claims what storage does not hold and a retried change
// applies once. Its cached views (the images rendered from exact poses, a cache that only saves
// re-renders) are written lazily: with the next frame change or ViewWriteDelay after the first
// unwritten one, and on deactivation. A session adds a view on most steps; writing the tile's
// whole state each time cost the silo a state write per frame (docs/decisions.md). A crash loses
// at most the last ViewWriteDelay of views: those poses are rendered again.
using Microsoft.Extensions.Logging;
using Rtfm.Grains.Abstractions;

namespace Rtfm.Grains.Worlds;

public sealed partial class SpatialTileGrain(
    [PersistentState("tile", RtfmStorageNames.State)] IPersistentState<TileState> state,
    ILogger<SpatialTileGrain> logger) : Grain, ISpatialTileGrain
{
    /// <summary>How long a cached view may stay unwritten.</summary>
    public static readonly TimeSpan ViewWriteDelay = TimeSpan.FromSeconds(2);

    private bool _viewsUnwritten;
    private IGrainTimer? _viewWrite;

    public async Task<int> AddFramesAsync(IReadOnlyList<FrameRecord> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var known = state.State.Frames.Select(f => f.FrameId).ToHashSet(StringComparer.Ordinal);
        int added = 0;
        foreach (var f in frames)
        {
            if (!known.Add(f.FrameId)) continue;
            state.State.Frames.Add(f);
            added++;
        }
        if (added > 0) await WriteOrUndoAsync(() => state.State.Frames.RemoveRange(state.State.Frames.Count - added, added));
        return added;
    }

    public Task<IReadOnlyList<FrameRecord>> GetFramesAsync() => Task.FromResult<IReadOnlyList<FrameRecord>>(state.State.Frames.ToArray());

    public Task<TileRead> ReadAsync(PoseDto? viewPose) =>
        Task.FromResult(new TileRead(state.State.Frames.ToArray(), viewPose is null ? null : state.State.Views.FirstOrDefault(v => v.Pose == viewPose)?.ImageName));

    public async Task SetKvAsync(string frameId, string kvName, string modelVersion)
    {
        int i = state.State.Frames.FindIndex(f => f.FrameId == frameId);
        if (i < 0) throw new KeyNotFoundException($"tile {this.GetPrimaryKeyString()} has no frame '{frameId}'");
        var before = state.State.Frames[i];
        state.State.Frames[i] = before with { KvName = kvName, KvModelVersion = modelVersion };
        await WriteOrUndoAsync(() => state.State.Frames[i] = before);
    }

    /// <summary>Views cached per tile; bounded so storage grows with explored space, not with session length.</summary>
    public const int MaxViews = 512;

    public Task<string?> GetViewAsync(PoseDto pose) =>
        Task.FromResult(state.State.Views.FirstOrDefault(v => v.Pose == pose)?.ImageName);

    public Task AddViewAsync(ViewRecord view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (state.State.Views.Any(v => v.Pose == view.Pose)) return Task.CompletedTask;
        state.State.Views.Add(view);
        if (state.State.Views.Count > MaxViews) state.State.Views.RemoveAt(0);
        _viewsUnwritten = true;
        _viewWrite ??= this.RegisterGrainTimer(WriteViewsAsync, new GrainTimerCreationOptions(ViewWriteDelay, Timeout.InfiniteTimeSpan));
        return Task.CompletedTask;
    }

    private async Task WriteViewsAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_viewsUnwritten)
            {
                await state.WriteStateAsync(cancellationToken);
                _viewsUnwritten = false;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The views stay in memory and are tried again (a frame change writes them too).
            LogViewWriteFailed(logger, this.GetPrimaryKeyString(), ex.Message);
        }
        finally
        {
            // A one-shot timer: disposed after its callback (disposing it inside would cancel the write).
            var timer = _viewWrite;
            _viewWrite = null;
            timer?.Dispose();
            if (_viewsUnwritten && !cancellationToken.IsCancellationRequested)
                _viewWrite = this.RegisterGrainTimer(WriteViewsAsync, new GrainTimerCreationOptions(ViewWriteDelay, Timeout.InfiniteTimeSpan));
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _viewWrite?.Dispose();
        _viewWrite = null;
        if (_viewsUnwritten)
        {
            try { await state.WriteStateAsync(cancellationToken); }
            catch (Exception ex)
            {
                LogViewWriteFailed(logger, this.GetPrimaryKeyString(), ex.Message);
            }
        }
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    private async Task WriteOrUndoAsync(Action undo)
    {
        try
        {
            await state.WriteStateAsync();
            _viewsUnwritten = false; // the write carried them
        }
        catch
        {
            undo();
            throw;
        }
    }

    [LoggerMessage(EventId = 2110, Level = LogLevel.Warning, Message = "Tile {Tile}: writing its cached views failed ({Reason}); they stay in memory and are written later")]
    private static partial void LogViewWriteFailed(ILogger logger, string tile, string reason);

    public async Task<IReadOnlyList<FrameRecord>> ClearAsync()
    {
        var frames = state.State.Frames.ToArray();
        _viewWrite?.Dispose();
        _viewWrite = null;
        _viewsUnwritten = false;
        await state.ClearStateAsync();
        state.State = new TileState(); // Orleans does not reset the state object on clear
        DeactivateOnIdle();
        return frames;
    }
}
