// exp and GELU written once over IFloatVector, from exact lane-wise ops only, so the AVX-512,
// AVX2 and scalar paths agree to the bit (the platform's own exp may not, and libm differs
// between nodes). exp: range reduction x = n·ln2 + r, |r| <= ln2/2, degree-7 polynomial,
// scale by 2^n; max relative error ~2 ulp over the clamped range.
using System.Runtime.CompilerServices;

namespace Rtfm.Compute.Cpu.Kernels;

internal static class VectorMath
{
    private const float ExpMax = 88.0f;
    private const float ExpMin = -87.0f;
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;

    /// <summary>e^x for x in any range: inputs are clamped to [-87, 88] (e^-87 ~ 1.6e-38 stands in for 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Exp<T>(T x) where T : unmanaged, IFloatVector<T>
    {
        x = T.Min(T.Max(x, T.Broadcast(ExpMin)), T.Broadcast(ExpMax));
        T n = T.Floor(T.Fma(x, T.Broadcast(Log2E), T.Broadcast(0.5f)));
        T r = T.Fma(n, T.Broadcast(-Ln2Hi), x);
        r = T.Fma(n, T.Broadcast(-Ln2Lo), r);
        T p = T.Broadcast(1.0f / 5040f);
        p = T.Fma(p, r, T.Broadcast(1.0f / 720f));
        p = T.Fma(p, r, T.Broadcast(1.0f / 120f));
        p = T.Fma(p, r, T.Broadcast(1.0f / 24f));
        p = T.Fma(p, r, T.Broadcast(1.0f / 6f));
        p = T.Fma(p, r, T.Broadcast(0.5f));
        p = T.Fma(p, r, T.Broadcast(1.0f));
        p = T.Fma(p, r, T.Broadcast(1.0f));
        // n can reach 127 only at x = 88 where 2^127 · p stays finite; split the scale to be safe.
        T half = T.Floor(T.Multiply(n, T.Broadcast(0.5f)));
        return T.Multiply(T.Multiply(p, T.Pow2(half)), T.Pow2(T.Subtract(n, half)));
    }

    /// <summary>GELU, tanh form, computed as x · sigmoid(2z) = x / (1 + e^(-2z)), z = √(2/π)(x + 0.044715x³) — an exact identity.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Gelu<T>(T x) where T : unmanaged, IFloatVector<T>
    {
        T x3 = T.Multiply(T.Multiply(x, x), x);
        T z = T.Fma(x3, T.Broadcast(0.044715f), x);
        T e = Exp(T.Multiply(z, T.Broadcast(-1.5957691216057308f))); // -2·√(2/π)
        return T.Divide(x, T.Add(T.Broadcast(1f), e));
    }
}
