// Conversions between wire records and the core types, with validation on the way in.
using System.Numerics;
using Rtfm.Core.Geometry;
using Rtfm.Grains.Abstractions;

namespace Rtfm.Grains.Worlds;

public static class Wire
{
    public static PoseDto ToDto(this Pose p) => new(p.Position.X, p.Position.Y, p.Position.Z, p.Rotation.W, p.Rotation.X, p.Rotation.Y, p.Rotation.Z);

    /// <summary>The pose, or ArgumentException naming <paramref name="what"/> when it is not finite or not unit.</summary>
    public static Pose ToPose(this PoseDto? d, string what)
    {
        if (d is null) throw new ArgumentException($"{what}: pose is missing");
        var pose = new Pose(new Vector3(d.X, d.Y, d.Z), new Quaternion(d.Qx, d.Qy, d.Qz, d.Qw));
        return pose.Validate() is { } why ? throw new ArgumentException($"{what}: {why}") : pose;
    }

    public static IntrinsicsDto ToDto(this Intrinsics k) => new(k.Width, k.Height, k.Fx, k.Fy, k.Cx, k.Cy);

    public static Intrinsics ToIntrinsics(this IntrinsicsDto d) => new(d.Width, d.Height, d.Fx, d.Fy, d.Cx, d.Cy);
}
