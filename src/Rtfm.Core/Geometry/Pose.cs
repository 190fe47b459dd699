// Camera pose: position + unit quaternion, camera-to-world. The single pose convention of the
// project (docs/conventions.md): world right-handed, metres, +Y up; camera axes OpenCV-style
// (+X right, +Y down, +Z forward = viewing direction); x_world = R(q) * x_cam + Position.
using System.Numerics;

namespace Rtfm.Core.Geometry;

/// <summary>A camera pose (camera-to-world): position in metres and a unit rotation quaternion.</summary>
public readonly record struct Pose(Vector3 Position, Quaternion Rotation)
{
    /// <summary>How far |q| may be from 1 before a pose is rejected as not unit.</summary>
    public const float UnitTolerance = 1e-3f;

    public static Pose Identity => new(Vector3.Zero, Quaternion.Identity);

    /// <summary>Viewing direction (camera +Z) in world coordinates.</summary>
    public Vector3 Forward => Vector3.Transform(Vector3.UnitZ, Rotation);

    /// <summary>Image-right direction (camera +X) in world coordinates.</summary>
    public Vector3 Right => Vector3.Transform(Vector3.UnitX, Rotation);

    /// <summary>Image-down direction (camera +Y) in world coordinates.</summary>
    public Vector3 Down => Vector3.Transform(Vector3.UnitY, Rotation);

    /// <summary>Maps a direction from camera to world coordinates.</summary>
    public Vector3 CameraToWorldDirection(Vector3 cameraDirection) => Vector3.Transform(cameraDirection, Rotation);

    /// <summary>Maps a point from camera to world coordinates.</summary>
    public Vector3 CameraToWorldPoint(Vector3 cameraPoint) => Vector3.Transform(cameraPoint, Rotation) + Position;

    /// <summary>Maps a point from world to camera coordinates.</summary>
    public Vector3 WorldToCameraPoint(Vector3 worldPoint) =>
        Vector3.Transform(worldPoint - Position, Quaternion.Conjugate(Rotation));

    /// <summary>True when every component is finite and |q| is within <see cref="UnitTolerance"/> of 1.</summary>
    public bool IsValid => Validate() is null;

    /// <summary>Returns why the pose is unusable, or null when it is fine.</summary>
    public string? Validate()
    {
        if (!float.IsFinite(Position.X) || !float.IsFinite(Position.Y) || !float.IsFinite(Position.Z))
            return $"pose position {Position} is not finite";
        var q = Rotation;
        if (!float.IsFinite(q.X) || !float.IsFinite(q.Y) || !float.IsFinite(q.Z) || !float.IsFinite(q.W))
            return $"pose rotation {q} is not finite";
        float n = q.Length();
        if (MathF.Abs(n - 1f) > UnitTolerance)
            return $"pose rotation {q} is not a unit quaternion (|q| = {n:G6}); normalise it first";
        return null;
    }

    /// <summary>Throws <see cref="ArgumentException"/> with the reason when the pose is unusable.</summary>
    public Pose EnsureValid(string paramName = "pose")
    {
        string? why = Validate();
        return why is null ? this : throw new ArgumentException(why, paramName);
    }

    /// <summary>
    /// A camera at <paramref name="eye"/> looking at <paramref name="target"/>, image-up towards
    /// <paramref name="worldUp"/> (default +Y). Throws when the view direction is parallel to up.
    /// </summary>
    public static Pose LookAt(Vector3 eye, Vector3 target, Vector3? worldUp = null)
    {
        Vector3 up = worldUp ?? Vector3.UnitY;
        Vector3 forward = target - eye;
        if (forward.LengthSquared() < 1e-12f) throw new ArgumentException("LookAt: eye and target coincide");
        forward = Vector3.Normalize(forward);
        Vector3 right = Vector3.Cross(forward, up);
        if (right.LengthSquared() < 1e-10f) throw new ArgumentException("LookAt: view direction is parallel to the up vector");
        right = Vector3.Normalize(right);
        Vector3 down = Vector3.Cross(forward, right);
        return new Pose(eye, QuaternionMath.FromBasis(right, down, forward));
    }

    /// <summary>Normalises the rotation (use after arithmetic on quaternions).</summary>
    public Pose Normalized() => this with { Rotation = Quaternion.Normalize(Rotation) };

    public override string ToString() =>
        $"p=({Position.X:F3},{Position.Y:F3},{Position.Z:F3}) q[wxyz]=({Rotation.W:F4},{Rotation.X:F4},{Rotation.Y:F4},{Rotation.Z:F4})";
}
