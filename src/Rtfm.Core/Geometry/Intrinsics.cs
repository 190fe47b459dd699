// Pinhole intrinsics in pixels. Pixel (u, v) has its centre at (u + 0.5, v + 0.5); u grows to
// the right, v downwards, matching the camera's +X right / +Y down axes.
using System.Numerics;

namespace Rtfm.Core.Geometry;

/// <summary>Pinhole camera intrinsics: image size, focal lengths and principal point, in pixels.</summary>
public readonly record struct Intrinsics(int Width, int Height, float Fx, float Fy, float Cx, float Cy)
{
    /// <summary>Square pixels, centred principal point, given horizontal field of view in degrees.</summary>
    public static Intrinsics FromFieldOfView(int width, int height, float horizontalFovDegrees)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        if (!(horizontalFovDegrees > 1f && horizontalFovDegrees < 179f))
            throw new ArgumentOutOfRangeException(nameof(horizontalFovDegrees), $"field of view {horizontalFovDegrees} must be in (1, 179) degrees");
        float f = 0.5f * width / MathF.Tan(0.5f * horizontalFovDegrees * MathF.PI / 180f);
        return new Intrinsics(width, height, f, f, 0.5f * width, 0.5f * height);
    }

    /// <summary>Returns why the intrinsics are unusable, or null.</summary>
    public string? Validate()
    {
        if (Width <= 0 || Height <= 0) return $"image size {Width}x{Height} must be positive";
        if (!(float.IsFinite(Fx) && Fx > 0 && float.IsFinite(Fy) && Fy > 0)) return $"focal lengths ({Fx}, {Fy}) must be finite and positive";
        if (!(float.IsFinite(Cx) && float.IsFinite(Cy))) return $"principal point ({Cx}, {Cy}) must be finite";
        return null;
    }

    /// <summary>Direction of the ray through pixel centre (u + 0.5, v + 0.5) in camera coordinates (z = 1, not normalised).</summary>
    public Vector3 CameraRay(float u, float v) => new((u + 0.5f - Cx) / Fx, (v + 0.5f - Cy) / Fy, 1f);

    /// <summary>Projects a camera-space point to continuous pixel coordinates (pixel centres at +0.5).</summary>
    public Vector2 Project(Vector3 cameraPoint) => new(Fx * cameraPoint.X / cameraPoint.Z + Cx, Fy * cameraPoint.Y / cameraPoint.Z + Cy);
}
