// Camera paths: exactly N valid poses, inside the scene's bounds and clear of its obstacles,
// repeatable, smooth walks, the out-and-back path's exact revisits, and name parsing.
using System.Numerics;
using Rtfm.Core.Geometry;

namespace Rtfm.Scenes.Tests;

public sealed class TrajectoryTests
{
    private static readonly int[] Seeds = [0, 1, 2, 7, 11];

    private static IEnumerable<Scene> Scenes() =>
        Seeds.SelectMany(seed => new[] { SceneGenerator.Generate(seed, SceneKind.Room), SceneGenerator.Generate(seed, SceneKind.OpenSpace) });

    [Theory]
    [InlineData(TrajectoryKind.Orbit)]
    [InlineData(TrajectoryKind.Walk)]
    [InlineData(TrajectoryKind.Loop)]
    [InlineData(TrajectoryKind.Random)]
    public void Every_kind_gives_n_valid_clear_poses_and_repeats_for_a_seed(TrajectoryKind kind)
    {
        foreach (var scene in Scenes())
        {
            foreach (int n in new[] { 1, 2, 50, 301 })
            {
                var poses = Trajectories.Create(kind, scene, n, scene.Seed);
                Assert.Equal(n, poses.Count);
                foreach (var p in poses)
                {
                    Assert.Null(p.Validate());
                    Assert.InRange(p.Rotation.Length(), 1f - 1e-5f, 1f + 1e-5f);
                    Assert.True(scene.Bounds.Contains(p.Position), $"{kind} in {scene.Name}: eye {p.Position} is outside {scene.Bounds}");
                    Assert.True(scene.IsClear(p.Position), $"{kind} in {scene.Name}: eye {p.Position} is not clear");
                    foreach (var o in scene.Obstacles)
                        Assert.True(o.DistanceTo(p.Position) >= Scene.CameraClearance - 1e-4f, $"{kind} in {scene.Name}: eye {p.Position} is {o.DistanceTo(p.Position):F3} m from {o.BoundingBox}");
                    Assert.InRange(p.Forward.Y, -0.3f, 0.1f); // roughly horizontal, slightly down
                    Assert.InRange(p.Right.Y, -1e-4f, 1e-4f); // no roll
                }
                Assert.Equal(poses, Trajectories.Create(kind, scene, n, scene.Seed));
            }
        }
    }

    [Fact]
    public void Different_seeds_give_different_paths()
    {
        var scene = SceneGenerator.Generate(3);
        foreach (var kind in Enum.GetValues<TrajectoryKind>())
            Assert.NotEqual(Trajectories.Create(kind, scene, 20, 1), Trajectories.Create(kind, scene, 20, 2));
    }

    [Fact]
    public void Walks_move_in_small_steps_and_turn_gently_yet_go_somewhere()
    {
        foreach (var scene in Scenes())
        {
            var walk = Trajectories.Walk(scene, 301, scene.Seed);
            for (int i = 1; i < walk.Count; i++)
            {
                Assert.True((walk[i].Position - walk[i - 1].Position).Length() <= Trajectories.WalkStep + 1e-4f);
                float degrees = QuaternionMath.AngleBetween(walk[i].Rotation, walk[i - 1].Rotation) * 180f / MathF.PI;
                Assert.True(degrees <= Trajectories.MaxTurnPerFrame * 360 + 0.05, $"{scene.Name}: walk turns {degrees:F2}° at frame {i}");
            }
            float farthest = walk.Max(p => (p.Position - walk[0].Position).Length());
            Assert.True(farthest > 2f, $"{scene.Name}: a walk should go somewhere, got {farthest:F2} m");

            var random = Trajectories.RandomWalk(scene, 100, scene.Seed);
            for (int i = 1; i < random.Count; i++)
            {
                Assert.True((random[i].Position - random[i - 1].Position).Length() <= 0.31f);
                Assert.True(QuaternionMath.AngleBetween(random[i].Rotation, random[i - 1].Rotation) * 180f / MathF.PI <= 20.05f);
            }
        }
    }

    [Fact]
    public void Out_and_back_revisits_every_pose_exactly_and_moves_in_small_steps()
    {
        foreach (var scene in Scenes())
        {
            foreach (int n in new[] { 1, 2, 9, 300, 301 })
            {
                var poses = Trajectories.OutAndBack(scene, n, scene.Seed);
                for (int i = 0; i < n; i++) Assert.Equal(poses[i], poses[n - 1 - i]);
                for (int i = 1; i < n; i++)
                {
                    Assert.True((poses[i].Position - poses[i - 1].Position).Length() <= Trajectories.WalkStep + 1e-4f);
                    Assert.True(QuaternionMath.AngleBetween(poses[i].Rotation, poses[i - 1].Rotation) <= Trajectories.MaxTurnPerFrame * 2 * Math.PI + 1e-3);
                }
                // The outbound half is the walk of the same seed.
                var walk = Trajectories.Walk(scene, (n + 1) / 2, scene.Seed);
                Assert.Equal(walk, poses.Take((n + 1) / 2));
            }
        }
    }

    [Fact]
    public void Orbit_circles_the_centre_looking_inwards()
    {
        var scene = SceneGenerator.Generate(8, SceneKind.OpenSpace);
        var poses = Trajectories.Orbit(scene, 36, 8);
        var centre = scene.Bounds.Center;
        float radius = Horizontal(poses[0].Position - centre).Length();
        Assert.True(radius > 1f, $"orbit radius {radius}");
        foreach (var p in poses)
        {
            var outward = Horizontal(p.Position - centre);
            Assert.InRange(outward.Length(), radius - 1e-3f, radius + 1e-3f);
            Assert.True(Vector3.Dot(Horizontal(p.Forward), outward) < 0, "an orbit looks inwards");
        }
    }

    private static Vector3 Horizontal(Vector3 v) => new(v.X, 0, v.Z);

    [Fact]
    public void Parse_accepts_the_four_names_and_rejects_others_listing_them()
    {
        Assert.Equal(TrajectoryKind.Orbit, Trajectories.Parse("orbit"));
        Assert.Equal(TrajectoryKind.Walk, Trajectories.Parse("WALK"));
        Assert.Equal(TrajectoryKind.Loop, Trajectories.Parse("Loop"));
        Assert.Equal(TrajectoryKind.Random, Trajectories.Parse("random"));
        Assert.Equal(["orbit", "walk", "loop", "random"], Trajectories.Names);
        foreach (var bad in new[] { "spiral", "", "orbits" })
        {
            var ex = Assert.Throws<ArgumentException>(() => Trajectories.Parse(bad));
            Assert.Contains("orbit, walk, loop, random", ex.Message);
            Assert.Contains($"'{bad}'", ex.Message);
        }
        Assert.Throws<ArgumentNullException>(() => Trajectories.Parse(null!));
    }

    [Fact]
    public void Fewer_than_one_frame_is_rejected_for_every_kind()
    {
        var scene = SceneGenerator.Generate(0);
        foreach (var kind in Enum.GetValues<TrajectoryKind>())
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => Trajectories.Create(kind, scene, 0, 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => Trajectories.Create(kind, scene, -5, 0));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Trajectories.Create((TrajectoryKind)99, scene, 4, 0));
        Assert.Throws<ArgumentNullException>(() => Trajectories.Walk(null!, 4, 0));
    }
}
