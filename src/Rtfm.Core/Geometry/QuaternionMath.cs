// Quaternion helpers that System.Numerics lacks: building a rotation from its basis columns
// and the project's serialised order [w, x, y, z] (scalar first).
using System.Numerics;

namespace Rtfm.Core.Geometry;

public static class QuaternionMath
{
    /// <summary>
    /// The rotation whose matrix has columns <paramref name="x"/>, <paramref name="y"/>, <paramref name="z"/>
    /// (the images of the camera axes). The columns must be orthonormal and right-handed.
    /// </summary>
    public static Quaternion FromBasis(Vector3 x, Vector3 y, Vector3 z)
    {
        // Matrix entries m[row, col]: column 0 = x, column 1 = y, column 2 = z.
        float m00 = x.X, m10 = x.Y, m20 = x.Z;
        float m01 = y.X, m11 = y.Y, m21 = y.Z;
        float m02 = z.X, m12 = z.Y, m22 = z.Z;
        float trace = m00 + m11 + m22;
        Quaternion q;
        if (trace > 0f)
        {
            float s = MathF.Sqrt(trace + 1f) * 2f;
            q = new Quaternion((m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s, 0.25f * s);
        }
        else if (m00 > m11 && m00 > m22)
        {
            float s = MathF.Sqrt(1f + m00 - m11 - m22) * 2f;
            q = new Quaternion(0.25f * s, (m01 + m10) / s, (m02 + m20) / s, (m21 - m12) / s);
        }
        else if (m11 > m22)
        {
            float s = MathF.Sqrt(1f + m11 - m00 - m22) * 2f;
            q = new Quaternion((m01 + m10) / s, 0.25f * s, (m12 + m21) / s, (m02 - m20) / s);
        }
        else
        {
            float s = MathF.Sqrt(1f + m22 - m00 - m11) * 2f;
            q = new Quaternion((m02 + m20) / s, (m12 + m21) / s, 0.25f * s, (m10 - m01) / s);
        }
        q = Quaternion.Normalize(q);
        // Canonical sign: w >= 0, so equal rotations serialise equally.
        return q.W < 0f ? Quaternion.Negate(q) : q;
    }

    /// <summary>The quaternion from [w, x, y, z] (the order used in every file of the project).</summary>
    public static Quaternion FromWxyz(float w, float x, float y, float z) => new(x, y, z, w);

    /// <summary>Angle in radians between two rotations (0..pi).</summary>
    public static float AngleBetween(Quaternion a, Quaternion b)
    {
        float d = MathF.Abs(Quaternion.Dot(Quaternion.Normalize(a), Quaternion.Normalize(b)));
        return 2f * MathF.Acos(MathF.Min(1f, d));
    }
}
