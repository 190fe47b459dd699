// The spatial-memory policy: scores, choice of the K best, determinism under reordering,
// novelty-based write-back, exact-pose hits, pose-seeded noise.
using Rtfm.Model.Memory;
using static Rtfm.Model.Tests.ModelTestKit;

namespace Rtfm.Model.Tests;

public sealed class RetrievalAndMemoryTests
{
    [Fact]
    public void Score_is_distance_plus_weighted_direction_change()
    {
        var o = RetrievalOptions.Default;
        Assert.Equal(0f, SpatialRetrieval.Score(PoseAt(0, 0, 0), PoseAt(0, 0, 0), o), 5);
        Assert.Equal(1f, SpatialRetrieval.Score(PoseAt(0, 0, 0), PoseAt(1, 0, 0), o), 5);   // 1 m, same direction
        Assert.Equal(2f, SpatialRetrieval.Score(PoseAt(0, 0, 0), PoseAt(0, 0, 180), o), 4); // turned around
        Assert.Equal(1f, SpatialRetrieval.Score(PoseAt(0, 0, 0), PoseAt(0, 0, 90), o), 4);  // right angle
    }

    [Fact]
    public void Retrieve_returns_the_k_best_in_order_whatever_the_candidate_order()
    {
        var frames = new List<MemoryFrame>();
        for (int i = 0; i < 50; i++) frames.Add(new($"f{i:D2}", PoseAt(i * 0.2f, 0, i % 2 == 0 ? 0 : 180)));
        var target = PoseAt(1.0f, 0, 0);
        var picked = SpatialRetrieval.Retrieve(target, frames, 4);
        // Same-direction frames (even ids) at 0.2 m steps from x = 1.0: f05 is at 1.0 but faces back (score 2).
        Assert.Equal(4, picked.Count);
        Assert.Equal("f04", picked[0].Frame.Id); // 0.2 m away, same direction
        Assert.True(picked.Zip(picked.Skip(1)).All(p => p.First.Score <= p.Second.Score));
        var shuffled = frames.OrderBy(f => f.Id.GetHashCode(StringComparison.Ordinal)).Reverse().ToList();
        Assert.Equal(picked, SpatialRetrieval.Retrieve(target, shuffled, 4));
        Assert.Empty(SpatialRetrieval.Retrieve(target, frames, 0));
        Assert.Equal(50, SpatialRetrieval.Retrieve(target, frames, 100).Count);
    }

    [Fact]
    public void Ties_break_by_id_and_max_score_excludes_far_frames()
    {
        var a = new MemoryFrame("b", PoseAt(1, 0, 0));
        var b = new MemoryFrame("a", PoseAt(-1, 0, 0));
        var picked = SpatialRetrieval.Retrieve(PoseAt(0, 0, 0), [a, b], 1);
        Assert.Equal("a", picked[0].Frame.Id);
        Assert.Empty(SpatialRetrieval.Retrieve(PoseAt(0, 0, 0), [a, b], 2, new RetrievalOptions(MaxScore: 0.5f)));
        Assert.Throws<ArgumentOutOfRangeException>(() => SpatialRetrieval.Retrieve(PoseAt(0, 0, 0), [a], -1));
        var bad = PoseAt(0, 0, 0) with { Rotation = new(0, 0, 0, 3) };
        Assert.Throws<ArgumentException>(() => SpatialRetrieval.Retrieve(bad, [a], 1));
    }

    [Fact]
    public void Frame_seed_depends_on_world_seed_and_exact_pose_only()
    {
        Assert.Equal(FrameSeeds.For(5, PoseAt(1, 2, 30)), FrameSeeds.For(5, PoseAt(1, 2, 30)));
        Assert.NotEqual(FrameSeeds.For(5, PoseAt(1, 2, 30)), FrameSeeds.For(6, PoseAt(1, 2, 30)));
        Assert.NotEqual(FrameSeeds.For(5, PoseAt(1, 2, 30)), FrameSeeds.For(5, PoseAt(1, 2.0001f, 30)));
    }

    [Fact]
    public void Session_writes_back_novel_frames_only_and_serves_exact_revisits_from_memory()
    {
        var c = Small;
        var k = IntrinsicsFor(c);
        using var model = new RtfmModel(RandomWeights(c), new Compute.Cpu.CpuBackend());
        var session = new LocalWorldSession(model, new SpatialMemory(), k, seed: 3);
        session.AddInputFrame(RandomFrame(c, 1), PoseAt(0, 0, 0));
        // Out: 0.3 m steps (novel), then a 0.05 m nudge (not novel), then back.
        var path = new[] { PoseAt(0.3f, 0, 0), PoseAt(0.6f, 0, 0), PoseAt(0.65f, 0, 0), PoseAt(0.3f, 0, 0) };
        var steps = path.Select(p => session.Step(p)).ToArray();
        Assert.True(steps[0].WrittenBack && steps[1].WrittenBack);
        Assert.False(steps[2].WrittenBack);
        Assert.True(steps[3].FromMemory);
        Assert.Equal(steps[0].Frame.Pixels, steps[3].Frame.Pixels);
        Assert.Equal(3, session.Memory.Count);
        Assert.Contains("input-000000", steps[0].ContextIds);
        Assert.All(steps, s => Assert.True(s.ContextIds.Count <= c.ContextFrames));
        Assert.Throws<ArgumentException>(() => session.Memory.Add(session.Memory.Frames[0]));
    }
}
