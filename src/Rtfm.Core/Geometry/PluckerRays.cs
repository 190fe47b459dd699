// Per-pixel Plücker ray coordinates, the only way a pose enters the model (docs/model.md).
// For the ray through a pixel: d = unit direction in world, o = camera centre, m = o x d;
// the 6-D coordinate is (d, m). Written as explicit scalar float arithmetic (no Vector3
// helpers, whose SIMD lowering may vary) so every node computes the same bits.
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
        // Rotation matrix of the unit quaternion (Hamilton, camera-to-world), row-major r[row, col].
        float qw = pose.Rotation.W, qx = pose.Rotation.X, qy = pose.Rotation.Y, qz = pose.Rotation.Z;
        float r00 = 1f - 2f * (qy * qy + qz * qz), r01 = 2f * (qx * qy - qz * qw), r02 = 2f * (qx * qz + qy * qw);
        float r10 = 2f * (qx * qy + qz * qw), r11 = 1f - 2f * (qx * qx + qz * qz), r12 = 2f * (qy * qz - qx * qw);
        float r20 = 2f * (qx * qz - qy * qw), r21 = 2f * (qy * qz + qx * qw), r22 = 1f - 2f * (qx * qx + qy * qy);
        float ox = pose.Position.X, oy = pose.Position.Y, oz = pose.Position.Z;
        for (int v = 0; v < h; v++)
        {
            float cy = (v + 0.5f - intrinsics.Cy) / intrinsics.Fy;
            for (int u = 0; u < w; u++)
            {
                float cx = (u + 0.5f - intrinsics.Cx) / intrinsics.Fx;
                float dx = r00 * cx + r01 * cy + r02;
                float dy = r10 * cx + r11 * cy + r12;
                float dz = r20 * cx + r21 * cy + r22;
                float inv = 1f / MathF.Sqrt(dx * dx + dy * dy + dz * dz);
                dx *= inv; dy *= inv; dz *= inv;
                Span<float> px = rays.Slice((v * w + u) * Channels, Channels);
                px[0] = dx; px[1] = dy; px[2] = dz;
                px[3] = oy * dz - oz * dy;
                px[4] = oz * dx - ox * dz;
                px[5] = ox * dy - oy * dx;
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
