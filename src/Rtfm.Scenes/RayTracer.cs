// The ground-truth renderer: a Whitted-style CPU ray tracer. Lambert + Blinn-Phong shading,
// hard shadows from point lights (shadow rays), mirror reflections (recursive, depth 3),
// procedural textures, stratified supersampling. Rows run in parallel; every pixel is
// computed alone from +, −, ×, ÷, sqrt and floor only, so the image is bit-identical for any
// thread count and on every x86-64 machine.
using System.Numerics;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;

namespace Rtfm.Scenes;

public static class RayTracer
{
    public const int MaxDepth = 3;
    private const float Epsilon = 1e-3f;

    private readonly record struct Hit(float T, Vector3 Point, Vector3 Normal, Material Material);

    /// <summary>Renders the view of <paramref name="pose"/> to an image of the intrinsics' size.</summary>
    /// <param name="threads">Parallel rows; 0 = one per core.</param>
    /// <param name="samplesPerAxis">Stratified samples per pixel along each axis (2 = 4 samples).</param>
    public static RgbImage Render(Scene scene, Pose pose, Intrinsics intrinsics, int threads = 0, int samplesPerAxis = 2)
    {
        ArgumentNullException.ThrowIfNull(scene);
        string? why = pose.Validate() ?? intrinsics.Validate();
        if (why is not null) throw new ArgumentException(why);
        if (samplesPerAxis < 1 || samplesPerAxis > 8) throw new ArgumentOutOfRangeException(nameof(samplesPerAxis), $"samples per axis {samplesPerAxis} must be in 1..8");
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), $"threads {threads} must be >= 0");

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
                float r = 0, g = 0, b = 0;
                for (int sy = 0; sy < s; sy++)
                {
                    for (int sx = 0; sx < s; sx++)
                    {
                        float cx = (u + (sx + 0.5f) / s - intrinsics.Cx) / intrinsics.Fx;
                        float cy = (v + (sy + 0.5f) / s - intrinsics.Cy) / intrinsics.Fy;
                        var dir = Normalize(Add(Add(Scale(col0, cx), Scale(col1, cy)), col2));
                        var c = Trace(scene, origin, dir, 0);
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

    private static Vector3 Trace(Scene scene, Vector3 origin, Vector3 dir, int depth)
    {
        if (!Intersect(scene, origin, dir, float.PositiveInfinity, out var hit))
        {
            float up = Math.Max(0f, dir.Y);
            return Add(Scale(scene.SkyHorizon, 1f - up), Scale(scene.SkyZenith, up));
        }
        var m = hit.Material;
        var baseColour = Texture(m, hit.Point, hit.Normal);
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
            if (Intersect(scene, p, l, dist, out _)) continue; // hard shadow
            float atten = 1f / (1f + light.Falloff * dist2);
            colour = Add(colour, Scale(Mul(light.Intensity, baseColour), lambert * atten));
            if (m.Specular > 0f)
            {
                var half = Normalize(Sub(l, dir));
                float nh = Math.Max(0f, Dot(n, half));
                float spec = nh * nh; spec *= spec; spec *= spec; spec *= spec; spec *= spec; // (n·h)^32
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

    private static bool Intersect(Scene scene, Vector3 o, Vector3 d, float maxT, out Hit hit)
    {
        hit = default;
        float best = maxT;
        foreach (var pl in scene.Planes)
        {
            float denom = Dot(pl.Normal, d);
            if (denom >= -1e-6f) continue; // only hits from the front side
            float t = (pl.Offset - Dot(pl.Normal, o)) / denom;
            if (t > Epsilon && t < best) { best = t; hit = new Hit(t, Add(o, Scale(d, t)), pl.Normal, pl.Material); }
        }
        foreach (var sp in scene.Spheres)
        {
            var oc = Sub(o, sp.Center);
            float b = Dot(oc, d), c = Dot(oc, oc) - sp.Radius * sp.Radius, disc = b * b - c;
            if (disc < 0f) continue;
            float sq = MathF.Sqrt(disc), t = -b - sq;
            if (t <= Epsilon) t = -b + sq;
            if (t > Epsilon && t < best)
            {
                best = t;
                var point = Add(o, Scale(d, t));
                hit = new Hit(t, point, Scale(Sub(point, sp.Center), 1f / sp.Radius), sp.Material);
            }
        }
        foreach (var box in scene.Boxes)
        {
            if (IntersectBox(box, o, d, out float t, out var normal) && t > Epsilon && t < best)
            {
                best = t;
                hit = new Hit(t, Add(o, Scale(d, t)), normal, box.Material);
            }
        }
        return best < maxT;
    }

    private static bool IntersectBox(SceneBox box, Vector3 o, Vector3 d, out float t, out Vector3 normal)
    {
        float tNear = float.NegativeInfinity, tFar = float.PositiveInfinity;
        int axisNear = 0;
        float signNear = 0;
        for (int axis = 0; axis < 3; axis++)
        {
            float oa = axis == 0 ? o.X : axis == 1 ? o.Y : o.Z;
            float da = axis == 0 ? d.X : axis == 1 ? d.Y : d.Z;
            float lo = axis == 0 ? box.Min.X : axis == 1 ? box.Min.Y : box.Min.Z;
            float hi = axis == 0 ? box.Max.X : axis == 1 ? box.Max.Y : box.Max.Z;
            if (MathF.Abs(da) < 1e-9f)
            {
                if (oa < lo || oa > hi) { t = 0; normal = default; return false; }
                continue;
            }
            float t1 = (lo - oa) / da, t2 = (hi - oa) / da;
            float sign = -1f;
            if (t1 > t2) { (t1, t2) = (t2, t1); sign = 1f; }
            if (t1 > tNear) { tNear = t1; axisNear = axis; signNear = sign; }
            if (t2 < tFar) tFar = t2;
            if (tNear > tFar) { t = 0; normal = default; return false; }
        }
        t = tNear;
        normal = axisNear == 0 ? new Vector3(signNear, 0, 0) : axisNear == 1 ? new Vector3(0, signNear, 0) : new Vector3(0, 0, signNear);
        return tFar > Epsilon && tNear > Epsilon;
    }

    /// <summary>Procedural texture: coordinates from the two axes the surface spans.</summary>
    private static Vector3 Texture(Material m, Vector3 p, Vector3 n)
    {
        if (m.Texture == TextureKind.Solid) return m.Color;
        float ax = MathF.Abs(n.X), ay = MathF.Abs(n.Y), az = MathF.Abs(n.Z);
        float u, v;
        if (ay >= ax && ay >= az) { u = p.X; v = p.Z; }
        else if (ax >= az) { u = p.Z; v = p.Y; }
        else { u = p.X; v = p.Y; }
        float fu = MathF.Floor(u * m.Scale), fv = MathF.Floor(v * m.Scale);
        switch (m.Texture)
        {
            case TextureKind.Checker:
                return ((int)(fu + fv) & 1) == 0 ? m.Color : m.Color2;
            case TextureKind.Stripes:
                return ((int)fu & 1) == 0 ? m.Color : m.Color2;
            default:
            {
                float gu = u * m.Scale - fu, gv = v * m.Scale - fv;
                if (gu < 0.07f || gv < 0.07f) return Scale(m.Color2, 0.35f); // grout
                uint h = (uint)(int)fu * 73856093u ^ (uint)(int)fv * 19349663u;
                h ^= h >> 13; h *= 0x5bd1e995u; h ^= h >> 15;
                float shade = 0.8f + 0.4f * (h & 0xFFFF) / 65535f;
                return Scale(m.Color, shade);
            }
        }
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
