// A tile's cached views are written lazily (with the next frame change, within
// SpatialTileGrain.ViewWriteDelay, or on deactivation), never one state write per view.
using Rtfm.Grains.Abstractions;
using Rtfm.Grains.Worlds;

namespace Rtfm.Grains.Tests;

[Collection(nameof(ClusterCollection))]
public sealed class TileViewTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Cluster.GrainFactory;

    /// <summary>Whether any stored grain state mentions <paramref name="text"/>.</summary>
    private bool Stored(string text) =>
        Directory.EnumerateFiles(Path.Combine(fixture.DataDirectory, "state"), "*", SearchOption.AllDirectories)
            .Any(f => File.ReadAllText(f).Contains(text, StringComparison.Ordinal));

    private static ViewRecord View(float x) =>
        new(new PoseDto(x, 1, 0, 1, 0, 0, 0), "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(x + Random.Shared.NextSingle()))));

    [Fact]
    public async Task A_view_is_served_at_once_and_stored_within_the_write_delay_without_a_write_per_view()
    {
        var tile = Grains.GetGrain<ISpatialTileGrain>($"views-{Guid.NewGuid():N}/0,0");
        var views = Enumerable.Range(0, 5).Select(i => View(i)).ToArray();
        foreach (var v in views) await tile.AddViewAsync(v);
        foreach (var v in views) Assert.Equal(v.ImageName, await tile.GetViewAsync(v.Pose));
        Assert.False(Stored(views[0].ImageName), "a view must not be written on the call that adds it");
        await Task.Delay(SpatialTileGrain.ViewWriteDelay + TimeSpan.FromSeconds(1.5));
        Assert.All(views, v => Assert.True(Stored(v.ImageName), $"view {v.ImageName} should be stored {SpatialTileGrain.ViewWriteDelay.TotalSeconds} s after it was added"));
    }

    [Fact]
    public async Task A_frame_change_carries_the_unwritten_views_and_views_survive_a_restart()
    {
        string key = $"views-{Guid.NewGuid():N}/0,0";
        var tile = Grains.GetGrain<ISpatialTileGrain>(key);
        var view = View(7);
        await tile.AddViewAsync(view);
        var frame = new FrameRecord("f-1", new PoseDto(0, 1, 0, 1, 0, 0, 0), view.ImageName, null, null, Generated: true);
        Assert.Equal(1, await tile.AddFramesAsync([frame]));
        Assert.True(Stored("f-1") && Stored(view.ImageName), "the frame's write stores the tile's views with it");
        var late = View(8);
        await tile.AddViewAsync(late);
        await fixture.RestartAsync(); // a graceful stop deactivates the tile, which writes the late view
        var after = fixture.Cluster.GrainFactory.GetGrain<ISpatialTileGrain>(key);
        Assert.Equal(view.ImageName, await after.GetViewAsync(view.Pose));
        Assert.Equal(late.ImageName, await after.GetViewAsync(late.Pose));
        Assert.Single(await after.GetFramesAsync());
    }
}
