// Procedural scenes and the ray tracer: determinism (seed, thread count), hard shadows,
// mirrors, usable frames, and clear errors for bad cameras.
using System.Numerics;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;

namespace Rtfm.Scenes.Tests;

public sealed class SceneTests
{
    private static readonly Intrinsics Small = Intrinsics.FromFieldOfView(48, 48, 70);

    private static Pose FirstPose(Scene scene) => Trajectories.Walk(scene, 1, scene.Seed)[0];

    [Theory]
    [InlineData(SceneKind.Room)]
    [InlineData(SceneKind.OpenSpace)]
    public void Same_seed_gives_the_same_scene_and_bit_identical_pixels_for_any_thread_count(SceneKind kind)
    {
        var a = SceneGenerator.Generate(5, kind);
        var b = SceneGenerator.Generate(5, kind);
        Assert.Equal(a.Describe(), b.Describe());
        Assert.Equal(a.Planes, b.Planes);
        Assert.Equal(a.Boxes, b.Boxes);
        Assert.Equal(a.Spheres, b.Spheres);
        Assert.Equal(a.Lights, b.Lights);
        Assert.Equal((a.Ambient, a.SkyHorizon, a.SkyZenith, a.Bounds), (b.Ambient, b.SkyHorizon, b.SkyZenith, b.Bounds));
        var pose = FirstPose(a);
        var one = RayTracer.Render(a, pose, Small, threads: 1);
        var two = RayTracer.Render(b, pose, Small, threads: 2);
        var four = RayTracer.Render(a, pose, Small, threads: 4);
        var all = RayTracer.Render(a, pose, Small);
        Assert.Equal(one.Pixels, two.Pixels);
        Assert.Equal(one.Pixels, four.Pixels);
        Assert.Equal(one.Pixels, all.Pixels);
        var six = SceneGenerator.Generate(6, kind);
        Assert.NotEqual(a.Boxes, six.Boxes);
        Assert.NotEqual(one.Pixels, RayTracer.Render(six, FirstPose(six), Small).Pixels);
        // Another seed's scene from the same camera differs too: the difference is the scene, not the pose.
        Assert.NotEqual(one.Pixels, RayTracer.Render(six, pose, Small).Pixels);
    }

    [Fact]
    public void Pixels_are_display_values_in_the_unit_range_and_supersampling_smooths_edges()
    {
        var scene = SceneGenerator.Generate(2, SceneKind.Room);
        var pose = FirstPose(scene);
        var k = scene.DefaultIntrinsics(64, 64);
        var img = RayTracer.Render(scene, pose, k);
        Assert.Equal((64, 64), (img.Width, img.Height));
        Assert.All(img.Pixels, p => Assert.InRange(p, 0f, 1f));
        // 4 samples per pixel give in-between values at edges that 1 sample cannot.
        int Levels(RgbImage x) => x.Pixels.Distinct().Count();
        Assert.True(Levels(img) > Levels(RayTracer.Render(scene, pose, k, samplesPerAxis: 1)));
    }

    private static Scene Floor(IReadOnlyList<SceneBox> boxes, IReadOnlyList<SceneSphere> spheres, PointLight light) =>
        new(0, SceneKind.OpenSpace,
            [new ScenePlane(Vector3.UnitY, 0, Material.Matte(new Vector3(0.8f)))],
            boxes, spheres, [light],
            Ambient: new Vector3(0.05f), SkyHorizon: Vector3.Zero, SkyZenith: Vector3.Zero,
            Bounds: new Aabb(new Vector3(-10), new Vector3(10)));

    [Fact]
    public void A_box_under_a_point_light_casts_a_dark_sharp_shadow()
    {
        // A camera above the floor looking down at a box; first the light straight above it.
        var box = new SceneBox(new(-0.5f, 0, -0.5f), new(0.5f, 0.6f, 0.5f), Material.Matte(new Vector3(0.2f, 0.2f, 0.9f)));
        var pose = Pose.LookAt(new(3, 4, 0.01f), new(1.2f, 0, 0));
        var k = Intrinsics.FromFieldOfView(64, 64, 60);
        var overhead = RayTracer.Render(Floor([box], [], new PointLight(new(0, 5, 0), new Vector3(1), 0f)), pose, k, samplesPerAxis: 1);
        float lit = Brightness(overhead, k, pose, new(0.9f, 0, 0));
        Assert.True(lit > 0.5f, $"floor beside the box should be lit with the light overhead, got {lit}");

        // Now the light off to the -X side: the same floor point falls in the box's shadow.
        var offset = Floor([box], [], new PointLight(new(-3, 3, 0), new Vector3(1), 0f));
        var img2 = RayTracer.Render(offset, pose, k, samplesPerAxis: 1);
        // The shadow covers x in (0.5, 0.5 + 0.6·3.5/2.4 ≈ 1.375) on the floor.
        float shadow = Brightness(img2, k, pose, new(0.9f, 0, 0));
        float sunny = Brightness(img2, k, pose, new(2.2f, 0, 0));
        Assert.True(shadow < 0.5f * sunny, $"shadowed floor {shadow} should be much darker than lit floor {sunny}");
        // Sharp: along the floor across the shadow's far edge, brightness jumps within a pixel or two.
        var (u0, v0) = ProjectPixel(k, pose, new(1.2f, 0, 0));
        var (u1, v1) = ProjectPixel(k, pose, new(1.55f, 0, 0));
        float maxStep = 0;
        int steps = Math.Max(Math.Abs(u1 - u0), Math.Abs(v1 - v0));
        for (int i = 0; i < steps; i++)
        {
            float a = Luma(img2, u0 + (u1 - u0) * i / steps, v0 + (v1 - v0) * i / steps);
            float b = Luma(img2, u0 + (u1 - u0) * (i + 1) / steps, v0 + (v1 - v0) * (i + 1) / steps);
            maxStep = Math.Max(maxStep, Math.Abs(a - b));
        }
        Assert.True(maxStep > 0.25f, $"shadow edge should be sharp, largest one-pixel step {maxStep}");
    }

    [Fact]
    public void A_mirror_shows_a_coloured_object_behind_the_camera()
    {
        // A mirror wall at z = 5 facing the camera at z = 0; a red sphere behind the camera at z = -3.
        var mirror = new SceneBox(new(-5, -1, 5), new(5, 5, 5.1f), Material.Mirror(new Vector3(1)));
        var red = new SceneSphere(new(0, 1.5f, -3), 1.2f, Material.Matte(new Vector3(1, 0, 0)));
        var scene = Floor([mirror], [red], new PointLight(new(0, 4, 2), new Vector3(1.5f), 0f)) with { Ambient = new Vector3(0.4f) };
        var k = Intrinsics.FromFieldOfView(32, 32, 40);
        var img = RayTracer.Render(scene, Pose.LookAt(new(0, 1.5f, 0), new(0, 1.5f, 5)), k, samplesPerAxis: 1);
        var centre = img.Pixel(16, 16);
        Assert.True(centre[0] > 0.8f && centre[0] - Math.Max(centre[1], centre[2]) > 0.4f, $"mirror centre should show the red sphere, got ({centre[0]}, {centre[1]}, {centre[2]})");
        // Without the sphere the same pixel is grey: the red came from the reflection.
        var bare = RayTracer.Render(scene with { Spheres = [] }, Pose.LookAt(new(0, 1.5f, 0), new(0, 1.5f, 5)), k, samplesPerAxis: 1).Pixel(16, 16);
        Assert.True(Math.Abs(bare[0] - bare[1]) < 0.05f, $"bare mirror pixel should be grey, got ({bare[0]}, {bare[1]}, {bare[2]})");
    }

    [Theory]
    [InlineData(SceneKind.Room)]
    [InlineData(SceneKind.OpenSpace)]
    public void Generated_scenes_have_a_light_a_mirror_and_frames_with_content(SceneKind kind)
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var scene = SceneGenerator.Generate(seed, kind);
            Assert.Equal(kind, scene.Kind);
            Assert.Equal(seed, scene.Seed);
            Assert.NotEmpty(scene.Lights);
            Assert.True(scene.ReflectiveSurfaces >= 1, $"{scene.Name} has no mirror");
            var img = RayTracer.Render(scene, FirstPose(scene), Small, samplesPerAxis: 1);
            double mean = img.Pixels.Average(), std = Math.Sqrt(img.Pixels.Average(p => (p - mean) * (p - mean)));
            Assert.True(std > 0.05, $"{scene.Name}: frame is nearly flat (std {std:F3})");
        }
    }

    [Fact]
    public void Many_seeds_give_both_kinds_lights_mirrors_and_a_camera_region_clear_of_walls()
    {
        var kinds = new HashSet<SceneKind>();
        for (int seed = 0; seed < 200; seed++)
        {
            var scene = SceneGenerator.Generate(seed);
            kinds.Add(scene.Kind);
            foreach (var s in new[] { scene, SceneGenerator.Generate(seed, scene.Kind == SceneKind.Room ? SceneKind.OpenSpace : SceneKind.Room) })
            {
                Assert.NotEmpty(s.Lights);
                Assert.True(s.ReflectiveSurfaces >= 1, $"{s.Name} has no mirror");
                Assert.StartsWith(s.Name + ":", s.Describe());
                Assert.Equal(s.Boxes.Count + s.Spheres.Count, s.Obstacles.Count);
                var b = s.Bounds;
                Assert.True(b.Size.X > 2 && b.Size.Z > 2 && b.Size.Y >= 0, $"{s.Name}: camera region {b} is too small");
                // Every corner of the camera region is at least the clearance in front of every wall, floor and ceiling.
                foreach (var plane in s.Planes)
                    for (int c = 0; c < 8; c++)
                    {
                        var corner = new Vector3((c & 1) == 0 ? b.Min.X : b.Max.X, (c & 2) == 0 ? b.Min.Y : b.Max.Y, (c & 4) == 0 ? b.Min.Z : b.Max.Z);
                        Assert.True(Vector3.Dot(plane.Normal, corner) - plane.Offset >= Scene.CameraClearance, $"{s.Name}: {corner} is too close to a plane");
                    }
                // A light above the floor and inside rooms, so shadows fall on the floor.
                foreach (var light in s.Lights)
                    foreach (var plane in s.Planes)
                        Assert.True(Vector3.Dot(plane.Normal, light.Position) - plane.Offset > 0, $"{s.Name}: light {light.Position} is behind a plane");
            }
        }
        Assert.Equal(2, kinds.Count);
    }

    [Fact]
    public void Default_intrinsics_are_a_centred_pinhole_with_a_seventy_degree_field_of_view()
    {
        var k = SceneGenerator.Generate(0).DefaultIntrinsics(64, 48);
        Assert.Null(k.Validate());
        Assert.Equal((64, 48, 32f, 24f), (k.Width, k.Height, k.Cx, k.Cy));
        Assert.Equal(k.Fx, k.Fy);
        double hfov = 2 * Math.Atan(0.5 * k.Width / k.Fx) * 180 / Math.PI;
        Assert.InRange(hfov, 69.9, 70.1);
    }

    [Fact]
    public void Bad_cameras_are_rejected_with_the_reason()
    {
        var scene = SceneGenerator.Generate(1);
        var pose = FirstPose(scene);
        var nan = Assert.Throws<ArgumentException>(() => RayTracer.Render(scene, pose with { Position = new(float.NaN, 0, 0) }, Small));
        Assert.Contains("not finite", nan.Message);
        Assert.Equal("pose", nan.ParamName);
        Assert.Contains("unit quaternion", Assert.Throws<ArgumentException>(() => RayTracer.Render(scene, pose with { Rotation = new Quaternion(0, 0, 0, 2) }, Small)).Message);
        Assert.Contains("rotation", Assert.Throws<ArgumentException>(() => RayTracer.Render(scene, pose with { Rotation = new Quaternion(float.NaN, 0, 0, 1) }, Small)).Message);
        var zero = Assert.Throws<ArgumentException>(() => RayTracer.Render(scene, pose, new Intrinsics(0, 4, 1, 1, 0, 0)));
        Assert.Contains("image size 0x4 must be positive", zero.Message);
        Assert.Equal("intrinsics", zero.ParamName);
        Assert.Contains("focal lengths", Assert.Throws<ArgumentException>(() => RayTracer.Render(scene, pose, new Intrinsics(4, 4, 0, 1, 2, 2))).Message);
        Assert.Throws<ArgumentNullException>(() => RayTracer.Render(null!, pose, Small));
        Assert.Throws<ArgumentOutOfRangeException>(() => RayTracer.Render(scene, pose, Small, threads: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => RayTracer.Render(scene, pose, Small, samplesPerAxis: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => scene.DefaultIntrinsics(-1, 4));
    }

    private static (int U, int V) ProjectPixel(Intrinsics k, Pose pose, Vector3 world)
    {
        var p = k.Project(pose.WorldToCameraPoint(world));
        return ((int)p.X, (int)p.Y);
    }

    private static float Luma(RgbImage img, int u, int v)
    {
        var px = img.Pixel(Math.Clamp(u, 0, img.Width - 1), Math.Clamp(v, 0, img.Height - 1));
        return (px[0] + px[1] + px[2]) / 3f;
    }

    private static float Brightness(RgbImage img, Intrinsics k, Pose pose, Vector3 world)
    {
        var (u, v) = ProjectPixel(k, pose, world);
        Assert.InRange(u, 0, img.Width - 1);
        Assert.InRange(v, 0, img.Height - 1);
        return Luma(img, u, v);
    }
}
