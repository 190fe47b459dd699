// A procedural scene as plain data: planes (floor, walls, ground), axis-aligned boxes, spheres,
// point lights and a sky, plus the region a camera may move in. Shading lives in RayTracer.
using System.Numerics;
using Rtfm.Core.Geometry;

namespace Rtfm.Scenes;

public enum SceneKind
{
    Room,
    OpenSpace,
}

/// <param name="Ambient">Light added everywhere, so shadows are dark but not black.</param>
/// <param name="SkyHorizon">Background colour of rays that leave the scene horizontally (black in rooms).</param>
/// <param name="SkyZenith">Background colour of rays that leave straight up.</param>
/// <param name="Bounds">Where a camera may be: clear of walls, floor and ceiling.</param>
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
    Aabb Bounds)
{
    /// <summary>Tan of half the default 70° horizontal field of view, as a constant so no node's libm is involved.</summary>
    private const float TanHalfFov = 0.70020753820970977f;

    /// <summary>Minimum distance kept between a camera and any object.</summary>
    public const float CameraClearance = 0.3f;

    public string Name => $"{(Kind == SceneKind.Room ? "room" : "open")}-{Seed}";

    /// <summary>Every volume a camera must keep <see cref="CameraClearance"/> from: the boxes, then the spheres (a new list per call).</summary>
    public IReadOnlyList<IObstacle> Obstacles => [.. Boxes, .. Spheres];

    /// <summary>A pinhole with a 70° horizontal field of view and square pixels.</summary>
    public Intrinsics DefaultIntrinsics(int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        float f = 0.5f * width / TanHalfFov;
        return new Intrinsics(width, height, f, f, 0.5f * width, 0.5f * height);
    }

    /// <summary>True when an eye at <paramref name="p"/> is inside <see cref="Bounds"/> and clear of every obstacle by <see cref="CameraClearance"/>.</summary>
    public bool IsClear(Vector3 p)
    {
        if (!Bounds.Contains(p)) return false;
        // Loops rather than Obstacles: camera paths call this thousands of times.
        foreach (var b in Boxes)
            if (b.Blocks(p, CameraClearance)) return false;
        foreach (var s in Spheres)
            if (s.Blocks(p, CameraClearance)) return false;
        return true;
    }

    /// <summary>Mirror-like planes, boxes and spheres (reflectivity above <see cref="Material.MirrorThreshold"/>).</summary>
    public int ReflectiveSurfaces =>
        Planes.Count(x => x.Material.IsMirror) + Boxes.Count(x => x.Material.IsMirror) + Spheres.Count(x => x.Material.IsMirror);

    public string Describe() =>
        $"{Name}: {Boxes.Count} boxes, {Spheres.Count} spheres, {Lights.Count} light(s) with hard shadows, {ReflectiveSurfaces} mirror surface(s), " +
        $"camera region {Bounds.Size.X:F1} x {Bounds.Size.Z:F1} m";
}
