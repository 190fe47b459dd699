// Camera paths: valid poses, inside the walk region, clear of objects, repeatable, and the
// out-and-back path's exact revisits.
namespace Rtfm.Scenes.Tests;

public sealed class TrajectoryTests
{
    [Theory]
    [InlineData(TrajectoryKind.Orbit)]
    [InlineData(TrajectoryKind.Walk)]
    [InlineData(TrajectoryKind.Loop)]
    [InlineData(TrajectoryKind.Random)]
    public void Every_kind_gives_n_valid_clear_poses_and_repeats_for_a_seed(TrajectoryKind kind)
    {
        foreach (int seed in new[] { 0, 1, 2, 7, 11 })
        {
            var scene = SceneGenerator.Generate(seed);
            foreach (int n in new[] { 1, 2, 50, 301 })
            {
                var poses = Trajectories.Create(kind, scene, n, seed);
                Assert.Equal(n, poses.Count);
                foreach (var p in poses)
                {
                    Assert.Null(p.Validate());
                    Assert.True(scene.IsClear(p.Position), $"{kind} seed {seed}: eye {p.Position} is not clear in {scene.Name}");
                    Assert.InRange(p.Forward.Y, -0.3f, 0.1f); // roughly horizontal
                }
                Assert.Equal(poses, Trajectories.Create(kind, scene, n, seed));
            }
        }
    }

    [Fact]
    public void Out_and_back_revisits_every_pose_exactly_and_moves_in_small_steps()
    {
        var scene = SceneGenerator.Generate(4);
        foreach (int n in new[] { 2, 9, 300, 301 })
        {
            var poses = Trajectories.OutAndBack(scene, n, 4);
            for (int i = 0; i < n; i++) Assert.Equal(poses[i], poses[n - 1 - i]);
            for (int i = 1; i < n; i++)
                Assert.True((poses[i].Position - poses[i - 1].Position).Length() <= Trajectories.WalkStep + 1e-4f);
        }
        var walk = Trajectories.Walk(scene, 100, 4);
        Assert.True((walk[^1].Position - walk[0].Position).Length() > 1f, "a walk should go somewhere");
    }

    [Fact]
    public void Parse_accepts_the_four_names_and_rejects_others_listing_them()
    {
        Assert.Equal(TrajectoryKind.Orbit, Trajectories.Parse("orbit"));
        Assert.Equal(TrajectoryKind.Walk, Trajectories.Parse("WALK"));
        Assert.Equal(TrajectoryKind.Loop, Trajectories.Parse("loop"));
        Assert.Equal(TrajectoryKind.Random, Trajectories.Parse("random"));
        var ex = Assert.Throws<ArgumentException>(() => Trajectories.Parse("spiral"));
        Assert.Contains("orbit, walk, loop, random", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Trajectories.Walk(SceneGenerator.Generate(0), 0, 0));
    }
}
