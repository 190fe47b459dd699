// A procedural scene as plain data: planes (floor, walls, ground), axis-aligned boxes, spheres,
// point lights and a sky, plus the region a camera may walk in. Shading lives in RayTracer.
using System.Numerics;
using Rtfm.Core.Geometry;

namespace Rtfm.Scenes;

public enum SceneKind
{
    Room,
    OpenSpace,
}

public enum TextureKind
{
    Solid,
    Checker,
    Stripes,
    Tiles,
}

/// <param name="Color">Base colour (linear, 0..1).</param>
/// <param name="Color2">Second colour of a pattern.</param>
/// <param name="Scale">Pattern cells per metre.</param>
/// <param name="Reflectivity">0 = matte, ~0.9 = mirror.</param>
/// <param name="Specular">Strength of a Blinn-Phong highlight.</param>
public sealed record Material(Vector3 Color, Vector3 Color2, TextureKind Texture, float Scale, float Reflectivity, float Specular)
{
    public static Material Matte(Vector3 color) => new(color, color, TextureKind.Solid, 1f, 0f, 0.1f);

    public static Material Mirror(Vector3 tint) => new(tint, tint, TextureKind.Solid, 1f, 0.9f, 0.6f);
}

/// <summary>The plane dot(Normal, p) = Offset; Normal is unit and faces the side the camera is on.</summary>
public sealed record ScenePlane(Vector3 Normal, float Offset, Material Material);

public sealed record SceneBox(Vector3 Min, Vector3 Max, Material Material)
{
    public Vector3 Center => 0.5f * (Min + Max);
}

public sealed record SceneSphere(Vector3 Center, float Radius, Material Material);

/// <param name="Intensity">Colour × strength; falls off as 1 / (1 + Falloff·d²).</param>
public sealed record PointLight(Vector3 Position, Vector3 Intensity, float Falloff);

public sealed record Scene(
    int Seed,
    SceneKind Kind,
    IReadOnlyList<ScenePlane> Planes,
    IReadOnlyList<SceneBox> Boxes,
    IReadOnlyList<SceneSphere> Spheres,
    IReadOnlyList<PointLight> Lights,
    Vector3 Ambient,
    Vector3 SkyHorizon,
    Vector3 SkyZenith,
    Vector3 WalkMin,
    Vector3 WalkMax)
{
    /// <summary>Tan of half the default 70° horizontal field of view, as a constant so no node's libm is involved.</summary>
    private const float TanHalfFov = 0.70020753820970977f;

    /// <summary>Minimum distance kept between a camera and any object.</summary>
    public const float CameraClearance = 0.3f;

    public string Name => $"{(Kind == SceneKind.Room ? "room" : "open")}-{Seed}";

    public Vector3 WalkCenter => 0.5f * (WalkMin + WalkMax);

    /// <summary>A pinhole with a 70° horizontal field of view and square pixels.</summary>
    public Intrinsics DefaultIntrinsics(int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        float f = 0.5f * width / TanHalfFov;
        return new Intrinsics(width, height, f, f, 0.5f * width, 0.5f * height);
    }

    /// <summary>True when an eye at <paramref name="p"/> is inside the walk region and clear of every object.</summary>
    public bool IsClear(Vector3 p)
    {
        if (p.X < WalkMin.X || p.X > WalkMax.X || p.Y < WalkMin.Y || p.Y > WalkMax.Y || p.Z < WalkMin.Z || p.Z > WalkMax.Z) return false;
        foreach (var b in Boxes)
        {
            var m = new Vector3(CameraClearance);
            var lo = b.Min - m;
            var hi = b.Max + m;
            if (p.X > lo.X && p.X < hi.X && p.Y > lo.Y && p.Y < hi.Y && p.Z > lo.Z && p.Z < hi.Z) return false;
        }
        foreach (var s in Spheres)
            if (Vector3.DistanceSquared(p, s.Center) < (s.Radius + CameraClearance) * (s.Radius + CameraClearance)) return false;
        return true;
    }

    public int ReflectiveSurfaces =>
        Planes.Count(x => x.Material.Reflectivity > 0.5f) + Boxes.Count(x => x.Material.Reflectivity > 0.5f) + Spheres.Count(x => x.Material.Reflectivity > 0.5f);

    public string Describe() =>
        $"{Name}: {Boxes.Count} boxes, {Spheres.Count} spheres, {Lights.Count} light(s) with hard shadows, {ReflectiveSurfaces} mirror surface(s)";
}
