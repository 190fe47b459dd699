// Per-pixel Plücker ray coordinates, the only way a pose enters the model (docs/model.md).
// For the ray through a pixel: d = unit direction in world, o = camera centre, m = o x d;
// the 6-D coordinate is (d, m).
using System.Numerics;

namespace Rtfm.Core.Geometry;

public static class PluckerRays
{
    public const int Channels = 6;

    /// <summary>
    /// Writes the Plücker coordinates of every pixel of the camera to <paramref name="rays"/>,
    /// laid out (H, W, 6) row-major.
    /// </summary>
    public static void Compute(in Pose pose, in Intrinsics intrinsics, Span<float> rays) // (H, W, 6)
    {
        int h = intrinsics.Height, w = intrinsics.Width;
        if (rays.Length != h * w * Channels)
            throw new ArgumentException($"rays buffer has {rays.Length} floats, expected {h}x{w}x{Channels} = {h * w * Channels}", nameof(rays));
        Vector3 o = pose.Position;
        for (int v = 0; v < h; v++)
        {
            for (int u = 0; u < w; u++)
            {
                Vector3 d = Vector3.Normalize(pose.CameraToWorldDirection(intrinsics.CameraRay(u, v)));
                Vector3 m = Vector3.Cross(o, d);
                Span<float> px = rays.Slice((v * w + u) * Channels, Channels);
                px[0] = d.X; px[1] = d.Y; px[2] = d.Z;
                px[3] = m.X; px[4] = m.Y; px[5] = m.Z;
            }
        }
    }

    /// <summary>Convenience overload that allocates the (H, W, 6) buffer.</summary>
    public static float[] Compute(in Pose pose, in Intrinsics intrinsics)
    {
        var rays = new float[intrinsics.Height * intrinsics.Width * Channels];
        Compute(pose, intrinsics, rays);
        return rays;
    }
}
