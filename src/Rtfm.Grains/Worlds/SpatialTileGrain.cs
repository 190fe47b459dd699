// A spatial tile: the frames whose camera lies in one ground cell of one world. Small state
// (references only), written on every change; a change whose write fails is undone in memory,
// so memory never claims what storage does not hold and a retried change applies once.
using Rtfm.Grains.Abstractions;

namespace Rtfm.Grains.Worlds;

public sealed class SpatialTileGrain(
    [PersistentState("tile", RtfmStorageNames.State)] IPersistentState<TileState> state) : Grain, ISpatialTileGrain
{
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

    public async Task AddViewAsync(ViewRecord view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (state.State.Views.Any(v => v.Pose == view.Pose)) return;
        var views = state.State.Views.ToList();
        state.State.Views.Add(view);
        if (state.State.Views.Count > MaxViews) state.State.Views.RemoveAt(0);
        await WriteOrUndoAsync(() => state.State.Views = views);
    }

    private async Task WriteOrUndoAsync(Action undo)
    {
        try { await state.WriteStateAsync(); }
        catch
        {
            undo();
            throw;
        }
    }

    public async Task<IReadOnlyList<FrameRecord>> ClearAsync()
    {
        var frames = state.State.Frames.ToArray();
        await state.ClearStateAsync();
        state.State = new TileState(); // Orleans does not reset the state object on clear
        DeactivateOnIdle();
        return frames;
    }
}
