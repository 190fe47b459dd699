// Procedural textures: checker, stripes and tiles (grout lines, a per-tile shade from an
// integer hash), in world coordinates of the two axes a surface spans. Only floor, compare
// and integer arithmetic, so a texel is the same on every machine.
using System.Numerics;

namespace Rtfm.Scenes;

public static class Textures
{
    /// <summary>Fraction of a tile taken by grout on each axis.</summary>
    private const float Grout = 0.07f;

    /// <summary>The colour of <paramref name="material"/> at <paramref name="point"/> on a surface with <paramref name="normal"/>.</summary>
    public static Vector3 Sample(Material material, Vector3 point, Vector3 normal)
    {
        var m = material;
        if (m.Texture == TextureKind.Solid) return m.Color;
        // Project on the plane the surface mostly lies in, so walls and floors both get square cells.
        float ax = MathF.Abs(normal.X), ay = MathF.Abs(normal.Y), az = MathF.Abs(normal.Z);
        float u, v;
        if (ay >= ax && ay >= az) { u = point.X; v = point.Z; }
        else if (ax >= az) { u = point.Z; v = point.Y; }
        else { u = point.X; v = point.Y; }
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
                if (gu < Grout || gv < Grout) return new Vector3(m.Color2.X * 0.35f, m.Color2.Y * 0.35f, m.Color2.Z * 0.35f);
                // Each tile a slightly different shade: reads as tiles, not as a flat colour.
                uint h = (uint)(int)fu * 73856093u ^ (uint)(int)fv * 19349663u;
                h ^= h >> 13; h *= 0x5bd1e995u; h ^= h >> 15;
                float shade = 0.8f + 0.4f * (h & 0xFFFF) / 65535f;
                return new Vector3(m.Color.X * shade, m.Color.Y * shade, m.Color.Z * shade);
            }
        }
    }
}
