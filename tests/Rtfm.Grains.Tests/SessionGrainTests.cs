// Sessions on a real silo: steps render frames from at most K retrieved frames, write novel
// frames back, serve exact revisits from memory, retry safely by sequence number, and give
// bit-identical frames when a world is replayed.
using Rtfm.Core.Imaging;
using Rtfm.Grains.Abstractions;
using Rtfm.Grains.Worlds;
using Rtfm.Scenes;

namespace Rtfm.Grains.Tests;

[Collection(nameof(ClusterCollection))]
public sealed class SessionGrainTests(ClusterFixture fixture)
{
    private async Task<List<StepResult>> PlayAsync(string worldId, IReadOnlyList<Rtfm.Core.Geometry.Pose> poses)
    {
        var session = fixture.Grains.GetGrain<ISessionGrain>(Guid.NewGuid().ToString("N"));
        await session.OpenAsync(worldId);
        var results = new List<StepResult>();
        for (int i = 0; i < poses.Count; i++) results.Add(await session.StepAsync(new StepRequest(i, poses[i].ToDto())));
        await session.FlushAsync();
        return results;
    }

    [Fact]
    public async Task An_out_and_back_session_renders_writes_back_and_serves_revisits_from_memory()
    {
        string id = "sess-" + Guid.NewGuid().ToString("N")[..8];
        var world = fixture.Grains.GetGrain<IWorldGrain>(id);
        await world.CreateAsync(new WorldCreateRequest("frank", [], null, SceneSeed: 4, SceneFrames: 1, TileSize: 2f));
        var scene = SceneGenerator.Generate(4);
        var poses = Trajectories.OutAndBack(scene, 16, 4);
        var results = await PlayAsync(id, poses);

        Assert.True(results[0].FromMemory, "the first pose is the world's input frame");
        foreach (var r in results)
        {
            var img = PngCodec.Decode(r.Png);
            Assert.Equal(32, img.Width);
            Assert.True(r.ContextFrameIds.Count <= ClusterFixture.SmallModel.ContextFrames);
        }
        int written = results.Count(r => r.WrittenBack);
        Assert.True(written > 0, "an outbound walk explores new space, so some frames are novel");
        Assert.Equal(1 + written, (await world.GetInfoAsync()).FrameCount);
        // Revisit consistency: every return frame equals the outbound frame at the same pose, bit
        // for bit — written-back frames from memory, the others from the tile's view cache.
        for (int i = 0; i < poses.Count / 2; i++)
        {
            var back = results[poses.Count - 1 - i];
            Assert.True(back.FromMemory, $"return step {poses.Count - 1 - i} was re-rendered");
            Assert.Equal(results[i].Png, back.Png);
        }
    }

    [Fact]
    public async Task Replaying_a_world_gives_bit_identical_frames_and_retries_are_idempotent()
    {
        string id = "replay-" + Guid.NewGuid().ToString("N")[..8];
        var scene = SceneGenerator.Generate(9);
        var poses = Trajectories.Walk(scene, 6, 9);
        var world = fixture.Grains.GetGrain<IWorldGrain>(id);
        await world.CreateAsync(new WorldCreateRequest("gina", [], null, SceneSeed: 9, SceneFrames: 1));
        var first = await PlayAsync(id, poses);
        await world.DeleteAsync();
        await world.CreateAsync(new WorldCreateRequest("gina", [], null, SceneSeed: 9, SceneFrames: 1));
        var second = await PlayAsync(id, poses);
        for (int i = 0; i < poses.Count; i++) Assert.Equal(first[i].Png, second[i].Png);

        var session = fixture.Grains.GetGrain<ISessionGrain>(Guid.NewGuid().ToString("N"));
        await session.OpenAsync(id);
        var a = await session.StepAsync(new StepRequest(7, poses[3].ToDto()));
        var again = await session.StepAsync(new StepRequest(7, poses[4].ToDto())); // same sequence: the retried step's result
        Assert.Equal(a.Png, again.Png);
        await Assert.ThrowsAsync<ArgumentException>(() => session.StepAsync(new StepRequest(6, poses[0].ToDto())));
    }

    [Fact]
    public async Task Bad_session_use_fails_clearly()
    {
        var session = fixture.Grains.GetGrain<ISessionGrain>(Guid.NewGuid().ToString("N"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => session.StepAsync(new StepRequest(0, new PoseDto(0, 1, 0, 1, 0, 0, 0))));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => session.OpenAsync("no-such-world"));
        await Assert.ThrowsAsync<ArgumentException>(() => session.OpenAsync("bad/id"));
        string id = "bad-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.Grains.GetGrain<IWorldGrain>(id).CreateAsync(new WorldCreateRequest("hal", [], null, SceneSeed: 2));
        await session.OpenAsync(id);
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => session.StepAsync(new StepRequest(0, new PoseDto(float.NaN, 1, 0, 1, 0, 0, 0))));
        Assert.Contains("not finite", ex.Message);
    }

    [Fact]
    public async Task With_storage_down_steps_keep_rendering_until_the_write_queue_is_full_and_nothing_kept_is_lost()
    {
        string id = "outage-" + Guid.NewGuid().ToString("N")[..8];
        var world = fixture.Grains.GetGrain<IWorldGrain>(id);
        await world.CreateAsync(new WorldCreateRequest("ivy", [], null, SceneSeed: 5, SceneFrames: 1, TileSize: 2f));
        var scene = SceneGenerator.Generate(5);
        var poses = Trajectories.RandomWalk(scene, 64, 5).Skip(1).ToArray();
        var session = fixture.Grains.GetGrain<ISessionGrain>(Guid.NewGuid().ToString("N"));
        await session.OpenAsync(id);
        var results = new List<StepResult> { await session.StepAsync(new StepRequest(0, poses[0].ToDto())) };
        await session.FlushAsync();

        // Storage goes away: the world's content folder becomes a plain file, so every write fails.
        string content = Path.Combine(fixture.DataDirectory, "content", id);
        string aside = content + ".aside";
        Directory.Move(content, aside);
        await File.WriteAllTextAsync(content, "storage is down");
        int seq = 1;
        try
        {
            // Rendering goes on from memory while kept frames queue up to the bound...
            for (; results.Skip(1).Count(r => r.WrittenBack) < ClusterFixture.MaxPendingFrames; seq++)
            {
                Assert.True(seq < poses.Length - 1, "the walk kept too few frames to reach the queue's bound");
                results.Add(await session.StepAsync(new StepRequest(seq, poses[seq].ToDto())));
            }
            Assert.All(results.Skip(1), r => Assert.False(r.FromMemory, "the walk's poses are new: each is rendered"));
            // ...then steps fail clearly instead of holding unbounded memory.
            var full = await Assert.ThrowsAsync<InvalidOperationException>(() => session.StepAsync(new StepRequest(seq, poses[seq].ToDto())));
            Assert.Contains("write-back is failing", full.Message);
            var degraded = await session.GetInfoAsync();
            Assert.Equal(ClusterFixture.MaxPendingFrames, degraded.PendingFrames);
            Assert.False(string.IsNullOrEmpty(degraded.WriteError), "a session with failing writes reports why");
            await Assert.ThrowsAsync<InvalidOperationException>(() => session.FlushAsync());
        }
        finally
        {
            File.Delete(content);
            Directory.Move(aside, content);
        }

        // Storage is back: the retried step and everything queued land; nothing kept was lost.
        var retried = await session.StepAsync(new StepRequest(seq, poses[seq].ToDto()));
        results.Add(retried);
        await session.FlushAsync();
        var healthy = await session.GetInfoAsync();
        Assert.Equal(0, healthy.PendingFrames);
        Assert.Null(healthy.WriteError);
        Assert.Equal(1 + results.Count(r => r.WrittenBack), (await world.GetInfoAsync()).FrameCount);
        // A fresh session sees every kept frame, and a kept pose is served from memory, bit for bit.
        var keptIndex = results.FindIndex(r => r.WrittenBack);
        Assert.True(keptIndex >= 0, "a random walk through new space keeps some frames");
        var other = fixture.Grains.GetGrain<ISessionGrain>(Guid.NewGuid().ToString("N"));
        await other.OpenAsync(id);
        var again = await other.StepAsync(new StepRequest(0, poses[keptIndex].ToDto()));
        Assert.True(again.FromMemory);
        Assert.Equal(results[keptIndex].Png, again.Png);
    }
}
