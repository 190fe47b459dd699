// Pose, quaternion and Plücker math against values worked out by hand.
using System.Numerics;
using Rtfm.Core.Geometry;

namespace Rtfm.Core.Tests;

public sealed class GeometryTests
{
    private const float Eps = 1e-5f;

    private static void Near(Vector3 want, Vector3 got, float eps = Eps) =>
        Assert.True(Vector3.Distance(want, got) <= eps, $"want {want} got {got}");

    [Fact]
    public void Identity_pose_looks_down_world_plus_z_with_image_down_plus_y()
    {
        var p = Pose.Identity;
        Near(Vector3.UnitZ, p.Forward);
        Near(Vector3.UnitX, p.Right);
        Near(Vector3.UnitY, p.Down);
    }

    [Fact]
    public void LookAt_builds_a_right_handed_camera_with_image_up_towards_world_up()
    {
        // Looking along world -Z from (1, 2, 3): right = +X, down = -Y.
        var p = Pose.LookAt(new(1, 2, 3), new(1, 2, -5));
        Near(new(0, 0, -1), p.Forward);
        Near(new(1, 0, 0), p.Right);
        Near(new(0, -1, 0), p.Down);
        Assert.Null(p.Validate());
        // That rotation is 180 degrees about world X: q = (w 0, x 1, y 0, z 0).
        Assert.Equal(1f, MathF.Abs(p.Rotation.X), 5);
        Assert.Equal(0f, p.Rotation.W, 5);
        // Looking along +X: right = +Z... check with the cross products: right = f x up = (1,0,0)x(0,1,0) = (0,0,1).
        var q = Pose.LookAt(Vector3.Zero, new(5, 0, 0));
        Near(new(0, 0, 1), q.Right);
        Near(new(0, -1, 0), q.Down);
    }

    [Fact]
    public void Camera_and_world_points_round_trip()
    {
        var p = Pose.LookAt(new(1, 2, 3), new(4, 1, -2));
        var world = new Vector3(0.5f, -1, 7);
        Near(world, p.CameraToWorldPoint(p.WorldToCameraPoint(world)), 1e-4f);
        // The target lies on the camera's +Z axis.
        var cam = p.WorldToCameraPoint(new(4, 1, -2));
        Assert.True(MathF.Abs(cam.X) < 1e-4f && MathF.Abs(cam.Y) < 1e-4f && cam.Z > 0, $"{cam}");
    }

    [Fact]
    public void Validate_rejects_nan_infinite_and_non_unit_poses()
    {
        Assert.Contains("not finite", new Pose(new(float.NaN, 0, 0), Quaternion.Identity).Validate());
        Assert.Contains("not finite", new Pose(Vector3.Zero, new(0, 0, 0, float.PositiveInfinity)).Validate());
        Assert.Contains("not a unit quaternion", new Pose(Vector3.Zero, new(0, 0, 0, 2)).Validate());
        Assert.Throws<ArgumentException>(() => new Pose(Vector3.Zero, new(0.5f, 0, 0, 0.5f)).EnsureValid());
        Assert.Throws<ArgumentException>(() => Pose.LookAt(Vector3.Zero, new(0, 5, 0)));
    }

    [Fact]
    public void Intrinsics_from_fov_put_the_principal_point_at_the_centre()
    {
        var k = Intrinsics.FromFieldOfView(64, 48, 90);
        Assert.Equal(32f, k.Fx, 4); // tan(45) = 1 -> f = W / 2
        Assert.Equal(32f, k.Cx);
        Assert.Equal(24f, k.Cy);
        // Pixel (31, 23) has its centre at (31.5, 23.5): ray (-0.5/32, -0.5/32, 1).
        Near(new(-0.5f / 32, -0.5f / 32, 1), k.CameraRay(31, 23));
        Assert.Throws<ArgumentOutOfRangeException>(() => Intrinsics.FromFieldOfView(0, 4, 60));
        Assert.Throws<ArgumentOutOfRangeException>(() => Intrinsics.FromFieldOfView(4, 4, 180));
        Assert.NotNull(new Intrinsics(4, 4, -1, 1, 2, 2).Validate());
    }

    [Fact]
    public void Plucker_rays_match_hand_computed_direction_and_moment()
    {
        // 2x2 image, f = 1, principal point at the centre: pixel (1, 0) centre is (1.5, 0.5) -> camera ray (0.5, -0.5, 1).
        var k = new Intrinsics(2, 2, 1, 1, 1, 1);
        var pose = new Pose(new(1, 2, 3), Quaternion.Identity);
        var rays = PluckerRays.Compute(pose, k);
        float n = MathF.Sqrt(1.5f);
        var d = new Vector3(0.5f, -0.5f, 1) / n;
        var m = Vector3.Cross(new(1, 2, 3), d);
        int o = (0 * 2 + 1) * 6;
        Near(d, new(rays[o], rays[o + 1], rays[o + 2]));
        Near(m, new(rays[o + 3], rays[o + 4], rays[o + 5]));
        // Moments are orthogonal to directions and independent of where on the ray the origin sits.
        var shifted = PluckerRays.Compute(pose with { Position = pose.Position + 2.5f * Vector3.Transform(new Vector3(0.5f, -0.5f, 1), pose.Rotation) }, k);
        Near(m, new(shifted[o + 3], shifted[o + 4], shifted[o + 5]), 1e-4f);
    }

    [Fact]
    public void Plucker_rays_rotate_with_the_camera()
    {
        var k = Intrinsics.FromFieldOfView(4, 4, 60);
        var pose = Pose.LookAt(new(0, 1, 0), new(3, 1, 0)); // looking along +X
        var rays = PluckerRays.Compute(pose, k);
        // The mean direction of the four central pixels is the forward axis.
        var sum = Vector3.Zero;
        foreach (var (u, v) in new[] { (1, 1), (2, 1), (1, 2), (2, 2) })
        {
            int o = (v * 4 + u) * 6;
            sum += new Vector3(rays[o], rays[o + 1], rays[o + 2]);
        }
        Near(Vector3.UnitX, Vector3.Normalize(sum));
        Assert.Throws<ArgumentException>(() => PluckerRays.Compute(pose, k, new float[5]));
    }

    [Fact]
    public void FromBasis_recovers_rotations_and_uses_a_canonical_sign()
    {
        var rng = new Numerics.DeterministicRandom(4);
        for (int i = 0; i < 100; i++)
        {
            var q = Quaternion.Normalize(new((float)rng.NextGaussian(), (float)rng.NextGaussian(), (float)rng.NextGaussian(), (float)rng.NextGaussian()));
            var back = QuaternionMath.FromBasis(Vector3.Transform(Vector3.UnitX, q), Vector3.Transform(Vector3.UnitY, q), Vector3.Transform(Vector3.UnitZ, q));
            Assert.True(back.W >= 0);
            Assert.True(QuaternionMath.AngleBetween(q, back) < 1e-3f, $"{q} vs {back}");
        }
        Assert.Equal(new Quaternion(2, 3, 4, 1), QuaternionMath.FromWxyz(1, 2, 3, 4));
    }
}
