// Worlds and tiles on a real (in-process) silo: create from a procedural scene or from posed
// PNGs, info and tiles, bad input that leaves nothing behind, delete, and state that survives
// a silo restart on the embedded file stores.
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;
using Rtfm.Grains.Abstractions;
using Rtfm.Grains.Worlds;
using Rtfm.Scenes;

namespace Rtfm.Grains.Tests;

[Collection(nameof(ClusterCollection))]
public sealed class WorldGrainTests(ClusterFixture fixture)
{
    private static int s_next;

    private static string NewId() => $"w{Interlocked.Increment(ref s_next)}-{Guid.NewGuid():N}"[..20];

    private static (PosedImage Image, Pose Pose) ScenePng(int seed, int index)
    {
        var scene = SceneGenerator.Generate(seed);
        var pose = Trajectories.Walk(scene, index + 1, seed)[index];
        var img = RayTracer.Render(scene, pose, scene.DefaultIntrinsics(32, 32));
        using var ms = new MemoryStream();
        PngCodec.Write(img, ms);
        return (new PosedImage(ms.ToArray(), pose.ToDto()), pose);
    }

    private static IntrinsicsDto Intrinsics32 => SceneGenerator.Generate(0).DefaultIntrinsics(32, 32).ToDto();

    [Fact]
    public async Task A_procedural_world_is_created_with_its_frames_filed_by_tile()
    {
        string id = NewId();
        var world = fixture.Grains.GetGrain<IWorldGrain>(id);
        var info = await world.CreateAsync(new WorldCreateRequest("alice", [], null, SceneSeed: 3, SceneFrames: 12, TileSize: 1f));
        Assert.Equal(12, info.FrameCount);
        Assert.Equal("alice", info.Owner);
        Assert.Contains("untrained", info.ModelId);
        var tiles = await world.ListTilesAsync();
        Assert.Equal(info.TileCount, tiles.Count);
        int frames = 0;
        foreach (var cell in tiles)
        {
            var stored = await fixture.Grains.GetGrain<ISpatialTileGrain>(cell.Key(id)).GetFramesAsync();
            Assert.NotEmpty(stored);
            foreach (var f in stored)
                Assert.Equal(cell, TileCell.Of(f.Pose.X, f.Pose.Z, info.TileSize)); // each frame lives in its camera's cell
            frames += stored.Count;
        }
        Assert.Equal(12, frames);
        await Assert.ThrowsAsync<InvalidOperationException>(() => world.CreateAsync(new WorldCreateRequest("bob", [], null, SceneSeed: 3)));
    }

    [Fact]
    public async Task A_world_from_posed_pngs_stores_them_and_survives_delete_cleanly()
    {
        string id = NewId();
        var world = fixture.Grains.GetGrain<IWorldGrain>(id);
        var a = ScenePng(5, 0);
        var b = ScenePng(5, 3);
        var info = await world.CreateAsync(new WorldCreateRequest("carol", [a.Image, b.Image], Intrinsics32));
        Assert.Equal(2, info.FrameCount);
        Assert.Contains(id, await fixture.Grains.GetGrain<IWorldCatalogGrain>(IWorldCatalogGrain.Key).ListAsync());
        Assert.True(Directory.Exists(Path.Combine(fixture.DataDirectory, "content", id)));
        Assert.True(await world.DeleteAsync());
        Assert.False(await world.ExistsAsync());
        Assert.DoesNotContain(id, await fixture.Grains.GetGrain<IWorldCatalogGrain>(IWorldCatalogGrain.Key).ListAsync());
        Assert.False(Directory.Exists(Path.Combine(fixture.DataDirectory, "content", id)));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => world.GetInfoAsync());
        Assert.False(await world.DeleteAsync());
        foreach (var cell in new[] { TileCell.Of(a.Pose.Position.X, a.Pose.Position.Z, 4f), TileCell.Of(b.Pose.Position.X, b.Pose.Position.Z, 4f) })
            Assert.Empty(await fixture.Grains.GetGrain<ISpatialTileGrain>(cell.Key(id)).GetFramesAsync());
    }

    public static TheoryData<string, string> BadInputs => new()
    {
        { "nan", "not finite" },
        { "nonunit", "not a unit quaternion" },
        { "size", "the model takes 32x32" },
        { "corrupt", "not a readable PNG" },
        { "oversized", "the limit is" },
        { "toomany", "at most 64" },
        { "nothing", "at least one posed image" },
        { "nointrinsics", "intrinsics are required" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_fails_clearly_and_writes_nothing(string kind, string expected)
    {
        string id = NewId();
        var good = ScenePng(6, 0).Image;
        var images = new List<PosedImage> { good };
        IntrinsicsDto? k = Intrinsics32;
        switch (kind)
        {
            case "nan": images.Add(good with { Pose = good.Pose with { X = float.NaN } }); break;
            case "nonunit": images.Add(good with { Pose = good.Pose with { Qw = 2 } }); break;
            case "size":
                using (var ms = new MemoryStream()) { PngCodec.Write(new RgbImage(16, 16), ms); images.Add(good with { Png = ms.ToArray() }); }
                break;
            case "corrupt": images.Add(good with { Png = good.Png[..(good.Png.Length / 2)] }); break;
            case "oversized": images.Add(good with { Png = new byte[WorldGrain.MaxImageBytes + 1] }); break;
            case "toomany": images.AddRange(Enumerable.Repeat(good, WorldGrain.MaxImagesPerCall)); break;
            case "nothing": images.Clear(); break;
            case "nointrinsics": k = null; break;
        }
        var world = fixture.Grains.GetGrain<IWorldGrain>(id);
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => world.CreateAsync(new WorldCreateRequest("dave", images, k)));
        Assert.Contains(expected, ex.Message);
        Assert.False(await world.ExistsAsync());
        Assert.False(Directory.Exists(Path.Combine(fixture.DataDirectory, "content", id)), "a failed create must not store content");
        await Assert.ThrowsAsync<KeyNotFoundException>(() => fixture.Grains.GetGrain<IWorldGrain>(NewId()).GetInfoAsync());
    }

    [Fact]
    public async Task World_and_tiles_survive_a_silo_restart()
    {
        string id = NewId();
        var info = await fixture.Grains.GetGrain<IWorldGrain>(id).CreateAsync(new WorldCreateRequest("erin", [], null, SceneSeed: 8, SceneFrames: 6, TileSize: 1f));
        var tilesBefore = await fixture.Grains.GetGrain<IWorldGrain>(id).ListTilesAsync();
        await fixture.RestartAsync();
        var world = fixture.Grains.GetGrain<IWorldGrain>(id);
        var after = await world.GetInfoAsync();
        Assert.Equal(info.FrameCount, after.FrameCount);
        Assert.Equal(info.Created, after.Created);
        Assert.Equal(tilesBefore, await world.ListTilesAsync());
        int frames = 0;
        foreach (var cell in tilesBefore) frames += (await fixture.Grains.GetGrain<ISpatialTileGrain>(cell.Key(id)).GetFramesAsync()).Count;
        Assert.Equal(6, frames);
    }
}
