// The ground-truth renderer: a Whitted-style CPU ray tracer. Lambert + Blinn-Phong shading,
// hard shadows from point lights (shadow rays), mirror reflections (recursive, depth 3),
// procedural textures, stratified supersampling. Rows run in parallel; every pixel is
// computed alone from +, −, ×, ÷, sqrt, floor, abs, min and max only, so the image is
// bit-identical for any thread count and on every x86-64 machine.
using System.Numerics;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;

namespace Rtfm.Scenes;

public static class RayTracer
{
    /// <summary>Reflection bounces followed after the primary hit.</summary>
    public const int MaxDepth = 3;

    /// <summary>Largest supported samples per axis (64 samples per pixel).</summary>
    public const int MaxSamplesPerAxis = 8;

    /// <summary>Self-intersection guard: hits closer than this along a ray are ignored.</summary>
    private const float Epsilon = 1e-3f;

    private readonly record struct Hit(Vector3 Point, Vector3 Normal, Material Material);

    /// <summary>
    /// The scene's lists copied to arrays once per frame: the per-ray loops then index arrays
    /// instead of allocating an enumerator per loop (which made rendering allocation-bound).
    /// </summary>
    private sealed class Frame(Scene scene)
    {
        public readonly ScenePlane[] Planes = [.. scene.Planes];
        public readonly SceneSphere[] Spheres = [.. scene.Spheres];
        public readonly SceneBox[] Boxes = [.. scene.Boxes];
        public readonly PointLight[] Lights = [.. scene.Lights];
        public readonly Vector3 Ambient = scene.Ambient;
        public readonly Vector3 SkyHorizon = scene.SkyHorizon;
        public readonly Vector3 SkyZenith = scene.SkyZenith;
    }

    /// <summary>Renders the view of <paramref name="pose"/> to an image of the intrinsics' size.</summary>
    /// <param name="threads">Rows rendered in parallel; 0 = one per core. The pixels do not depend on it.</param>
    /// <param name="samplesPerAxis">Stratified samples per pixel along each axis (2 = 4 samples).</param>
    public static RgbImage Render(Scene scene, Pose pose, Intrinsics intrinsics, int threads = 0, int samplesPerAxis = 2)
    {
        ArgumentNullException.ThrowIfNull(scene);
        string? badPose = pose.Validate();
        if (badPose is not null) throw new ArgumentException($"cannot render: {badPose}", nameof(pose));
        string? badIntrinsics = intrinsics.Validate();
        if (badIntrinsics is not null) throw new ArgumentException($"cannot render: {badIntrinsics}", nameof(intrinsics));
        if (samplesPerAxis < 1 || samplesPerAxis > MaxSamplesPerAxis)
            throw new ArgumentOutOfRangeException(nameof(samplesPerAxis), $"samples per axis {samplesPerAxis} must be in 1..{MaxSamplesPerAxis}");
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), $"threads {threads} must be >= 0 (0 = one per core)");

        var frame = new Frame(scene);
        var image = new RgbImage(intrinsics.Width, intrinsics.Height);
        // Rotation matrix of the pose (camera-to-world), from the quaternion by plain arithmetic.
        float qw = pose.Rotation.W, qx = pose.Rotation.X, qy = pose.Rotation.Y, qz = pose.Rotation.Z;
        var col0 = new Vector3(1f - 2f * (qy * qy + qz * qz), 2f * (qx * qy + qz * qw), 2f * (qx * qz - qy * qw));
        var col1 = new Vector3(2f * (qx * qy - qz * qw), 1f - 2f * (qx * qx + qz * qz), 2f * (qy * qz + qx * qw));
        var col2 = new Vector3(2f * (qx * qz + qy * qw), 2f * (qy * qz - qx * qw), 1f - 2f * (qx * qx + qy * qy));
        var origin = pose.Position;
        int s = samplesPerAxis;
        float inv = 1f / (s * s);
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads == 0 ? Environment.ProcessorCount : threads };
        Parallel.For(0, intrinsics.Height, options, v =>
        {
            for (int u = 0; u < intrinsics.Width; u++)
            {
                // Fixed sample order, so the sum rounds the same way whoever renders the row.
                float r = 0, g = 0, b = 0;
                for (int sy = 0; sy < s; sy++)
                {
                    for (int sx = 0; sx < s; sx++)
                    {
                        float cx = (u + (sx + 0.5f) / s - intrinsics.Cx) / intrinsics.Fx;
                        float cy = (v + (sy + 0.5f) / s - intrinsics.Cy) / intrinsics.Fy;
                        var dir = Normalize(Add(Add(Scale(col0, cx), Scale(col1, cy)), col2));
                        var c = Trace(frame, origin, dir, 0);
                        r += c.X; g += c.Y; b += c.Z;
                    }
                }
                var px = image.Pixel(u, v);
                px[0] = ToDisplay(r * inv);
                px[1] = ToDisplay(g * inv);
                px[2] = ToDisplay(b * inv);
            }
        });
        return image;
    }

    /// <summary>Clamp, then gamma 1/2 (a sqrt stands in for 1/2.2: same look, no pow).</summary>
    private static float ToDisplay(float linear) => MathF.Sqrt(Math.Clamp(linear, 0f, 1f));

    private static Vector3 Trace(Frame scene, Vector3 origin, Vector3 dir, int depth)
    {
        if (!Nearest(scene, origin, dir, out var hit))
        {
            float up = Math.Max(0f, dir.Y);
            return Add(Scale(scene.SkyHorizon, 1f - up), Scale(scene.SkyZenith, up));
        }
        var m = hit.Material;
        var baseColour = Textures.Sample(m, hit.Point, hit.Normal);
        var n = hit.Normal;
        var colour = Mul(scene.Ambient, baseColour);
        var p = Add(hit.Point, Scale(n, Epsilon));
        foreach (var light in scene.Lights)
        {
            var toLight = Sub(light.Position, p);
            float dist2 = Dot(toLight, toLight), dist = MathF.Sqrt(dist2);
            var l = Scale(toLight, 1f / dist);
            float lambert = Dot(n, l);
            if (lambert <= 0f) continue;
            if (Occluded(scene, p, l, dist)) continue; // hard shadow: the light is seen or not
            float atten = 1f / (1f + light.Falloff * dist2);
            colour = Add(colour, Scale(Mul(light.Intensity, baseColour), lambert * atten));
            if (m.Specular > 0f)
            {
                var half = Normalize(Sub(l, dir));
                float nh = Math.Max(0f, Dot(n, half));
                float spec = nh * nh; spec *= spec; spec *= spec; spec *= spec; spec *= spec; // (n·h)^32 without pow
                colour = Add(colour, Scale(light.Intensity, m.Specular * spec * atten));
            }
        }
        if (m.Reflectivity > 0f && depth < MaxDepth)
        {
            var reflected = Sub(dir, Scale(n, 2f * Dot(dir, n)));
            var mirrored = Trace(scene, p, reflected, depth + 1);
            colour = Add(Scale(colour, 1f - m.Reflectivity), Scale(Mul(mirrored, m.Color), m.Reflectivity));
        }
        return colour;
    }

    /// <summary>The nearest hit along the ray (planes, then spheres, then boxes; ties keep the first).</summary>
    private static bool Nearest(Frame scene, Vector3 o, Vector3 d, out Hit hit)
    {
        hit = default;
        float best = float.PositiveInfinity;
        foreach (var pl in scene.Planes)
        {
            float t = PlaneT(pl, o, d);
            if (t > Epsilon && t < best) { best = t; hit = new Hit(Add(o, Scale(d, t)), pl.Normal, pl.Material); }
        }
        foreach (var sp in scene.Spheres)
        {
            float t = SphereT(sp, o, d);
            if (t > Epsilon && t < best)
            {
                best = t;
                var point = Add(o, Scale(d, t));
                hit = new Hit(point, Scale(Sub(point, sp.Center), 1f / sp.Radius), sp.Material);
            }
        }
        foreach (var box in scene.Boxes)
        {
            if (BoxT(box, o, d, out float t, out int axis, out float sign) && t > Epsilon && t < best)
            {
                best = t;
                var normal = axis == 0 ? new Vector3(sign, 0, 0) : axis == 1 ? new Vector3(0, sign, 0) : new Vector3(0, 0, sign);
                hit = new Hit(Add(o, Scale(d, t)), normal, box.Material);
            }
        }
        return best < float.PositiveInfinity;
    }

    /// <summary>Whether anything lies on the ray before <paramref name="maxT"/> (the shadow test; stops at the first blocker).</summary>
    private static bool Occluded(Frame scene, Vector3 o, Vector3 d, float maxT)
    {
        foreach (var pl in scene.Planes)
        {
            float t = PlaneT(pl, o, d);
            if (t > Epsilon && t < maxT) return true;
        }
        foreach (var sp in scene.Spheres)
        {
            float t = SphereT(sp, o, d);
            if (t > Epsilon && t < maxT) return true;
        }
        foreach (var box in scene.Boxes)
            if (BoxT(box, o, d, out float t, out _, out _) && t > Epsilon && t < maxT) return true;
        return false;
    }

    /// <summary>Ray parameter of a plane hit from its front side, or −1 (planes are one-sided).</summary>
    private static float PlaneT(ScenePlane pl, Vector3 o, Vector3 d)
    {
        float denom = Dot(pl.Normal, d);
        if (denom >= -1e-6f) return -1f;
        return (pl.Offset - Dot(pl.Normal, o)) / denom;
    }

    /// <summary>Ray parameter of the first sphere hit beyond Epsilon, or −1.</summary>
    private static float SphereT(SceneSphere sp, Vector3 o, Vector3 d)
    {
        var oc = Sub(o, sp.Center);
        float b = Dot(oc, d), c = Dot(oc, oc) - sp.Radius * sp.Radius, disc = b * b - c;
        if (disc < 0f) return -1f;
        float sq = MathF.Sqrt(disc), t = -b - sq;
        return t <= Epsilon ? -b + sq : t;
    }

    /// <summary>Slab test; the entry face's axis and outward sign. False when missed or when the ray starts inside.</summary>
    private static bool BoxT(SceneBox box, Vector3 o, Vector3 d, out float t, out int axis, out float sign)
    {
        float tNear = float.NegativeInfinity, tFar = float.PositiveInfinity;
        t = 0; axis = 0; sign = 0;
        if (!Slab(o.X, d.X, box.Min.X, box.Max.X, 0, ref tNear, ref tFar, ref axis, ref sign)) return false;
        if (!Slab(o.Y, d.Y, box.Min.Y, box.Max.Y, 1, ref tNear, ref tFar, ref axis, ref sign)) return false;
        if (!Slab(o.Z, d.Z, box.Min.Z, box.Max.Z, 2, ref tNear, ref tFar, ref axis, ref sign)) return false;
        t = tNear;
        return tFar > Epsilon && tNear > Epsilon;
    }

    /// <summary>Narrows [tNear, tFar] by one axis' slab; false once the interval is empty.</summary>
    private static bool Slab(float oa, float da, float lo, float hi, int a, ref float tNear, ref float tFar, ref int axis, ref float sign)
    {
        if (MathF.Abs(da) < 1e-9f) return oa >= lo && oa <= hi;
        float t1 = (lo - oa) / da, t2 = (hi - oa) / da;
        float s = -1f;
        if (t1 > t2) { (t1, t2) = (t2, t1); s = 1f; }
        if (t1 > tNear) { tNear = t1; axis = a; sign = s; }
        if (t2 < tFar) tFar = t2;
        return tNear <= tFar;
    }

    // Explicit component arithmetic: System.Numerics may lower to SIMD dot products whose
    // rounding we do not want to depend on.
    private static Vector3 Add(Vector3 a, Vector3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);
    private static Vector3 Sub(Vector3 a, Vector3 b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);
    private static Vector3 Mul(Vector3 a, Vector3 b) => new(a.X * b.X, a.Y * b.Y, a.Z * b.Z);
    private static Vector3 Scale(Vector3 a, float s) => new(a.X * s, a.Y * s, a.Z * s);
    private static float Dot(Vector3 a, Vector3 b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;
    private static Vector3 Normalize(Vector3 a) => Scale(a, 1f / MathF.Sqrt(Dot(a, a)));
}
