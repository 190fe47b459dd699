// The geometry of a scene as plain data: planes, axis-aligned boxes, spheres, point lights and
// the axis-aligned region type used for a scene's camera bounds. Boxes and spheres are also the
// obstacles a camera path must keep clear of.
using System.Numerics;

namespace Rtfm.Scenes;

/// <summary>An axis-aligned box (inclusive bounds), e.g. the region a camera may move in.</summary>
public readonly record struct Aabb(Vector3 Min, Vector3 Max)
{
    public Vector3 Center => 0.5f * (Min + Max);

    public Vector3 Size => Max - Min;

    public bool Contains(Vector3 p) =>
        p.X >= Min.X && p.X <= Max.X && p.Y >= Min.Y && p.Y <= Max.Y && p.Z >= Min.Z && p.Z <= Max.Z;
}

/// <summary>A solid volume a camera must stay out of.</summary>
public interface IObstacle
{
    /// <summary>The smallest axis-aligned box holding the volume.</summary>
    Aabb BoundingBox { get; }

    /// <summary>Euclidean distance from <paramref name="point"/> to the volume (0 inside it).</summary>
    float DistanceTo(Vector3 point);

    /// <summary>True when an eye at <paramref name="eye"/> is closer than <paramref name="margin"/> to the volume.</summary>
    bool Blocks(Vector3 eye, float margin);
}

/// <summary>The plane dot(Normal, p) = Offset; Normal is unit and faces the side the camera is on.</summary>
public sealed record ScenePlane(Vector3 Normal, float Offset, Material Material);

public sealed record SceneBox(Vector3 Min, Vector3 Max, Material Material) : IObstacle
{
    public Vector3 Center => 0.5f * (Min + Max);

    public Aabb BoundingBox => new(Min, Max);

    public float DistanceTo(Vector3 point)
    {
        float dx = Math.Max(0f, Math.Max(Min.X - point.X, point.X - Max.X));
        float dy = Math.Max(0f, Math.Max(Min.Y - point.Y, point.Y - Max.Y));
        float dz = Math.Max(0f, Math.Max(Min.Z - point.Z, point.Z - Max.Z));
        return MathF.Sqrt(dx * dx + dy * dy + dz * dz);
    }

    /// <summary>Inside the box grown by the margin on every side (stricter than distance at edges and corners).</summary>
    public bool Blocks(Vector3 eye, float margin)
    {
        var m = new Vector3(margin);
        var lo = Min - m;
        var hi = Max + m;
        return eye.X > lo.X && eye.X < hi.X && eye.Y > lo.Y && eye.Y < hi.Y && eye.Z > lo.Z && eye.Z < hi.Z;
    }
}

public sealed record SceneSphere(Vector3 Center, float Radius, Material Material) : IObstacle
{
    public Aabb BoundingBox => new(Center - new Vector3(Radius), Center + new Vector3(Radius));

    public float DistanceTo(Vector3 point) => Math.Max(0f, Vector3.Distance(point, Center) - Radius);

    public bool Blocks(Vector3 eye, float margin) =>
        Vector3.DistanceSquared(eye, Center) < (Radius + margin) * (Radius + margin);
}

/// <param name="Intensity">Colour × strength; falls off as 1 / (1 + Falloff·d²).</param>
public sealed record PointLight(Vector3 Position, Vector3 Intensity, float Falloff);
