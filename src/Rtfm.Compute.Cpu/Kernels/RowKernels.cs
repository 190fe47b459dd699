// Row-wise and element-wise kernels of the CPU engine, each written once over IFloatVector.
// Reductions over a row use 16 fixed stripes (element i goes to stripe i mod 16, added in
// index order) and a fixed tree over the stripes, whatever the vector width: the AVX-512,
// AVX2 and scalar paths therefore produce identical bits.
using System.Runtime.CompilerServices;

namespace Rtfm.Compute.Cpu.Kernels;

internal static unsafe class RowKernels
{
    public const int Stripes = 16;

    /// <summary>Σ x[i] in the canonical 16-stripe order.</summary>
    public static float StripedSum<T>(float* x, int n) where T : unmanaged, IFloatVector<T>
    {
        float* acc = stackalloc float[Stripes];
        for (int s = 0; s < Stripes; s++) acc[s] = 0f;
        int full = n / Stripes * Stripes;
        for (int i = 0; i < full; i += Stripes)
            for (int s = 0; s < Stripes; s += T.Count)
                T.Store(T.Add(T.Load(acc + s), T.Load(x + i + s)), acc + s);
        for (int i = full; i < n; i++) acc[i - full] += x[i];
        return Tree(acc);
    }

    /// <summary>Σ (x[i] − mean)² in the canonical 16-stripe order, one fused multiply-add per term.</summary>
    public static float StripedSquaredDeviation<T>(float* x, int n, float mean) where T : unmanaged, IFloatVector<T>
    {
        float* acc = stackalloc float[Stripes];
        for (int s = 0; s < Stripes; s++) acc[s] = 0f;
        int full = n / Stripes * Stripes;
        T m = T.Broadcast(mean);
        for (int i = 0; i < full; i += Stripes)
        {
            for (int s = 0; s < Stripes; s += T.Count)
            {
                T z = T.Subtract(T.Load(x + i + s), m);
                T.Store(T.Fma(z, z, T.Load(acc + s)), acc + s);
            }
        }
        for (int i = full; i < n; i++)
        {
            float z = x[i] - mean;
            acc[i - full] = MathF.FusedMultiplyAdd(z, z, acc[i - full]);
        }
        return Tree(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tree(float* a)
    {
        for (int half = Stripes / 2; half >= 1; half /= 2)
            for (int s = 0; s < half; s++) a[s] += a[s + half];
        return a[0];
    }

    /// <summary>y = LayerNorm(x) · (1 + scale) + shift over one row of n.</summary>
    public static void LayerNormModulateRow<T>(float* x, float* shift, float* scale, float* y, int n, float eps) where T : unmanaged, IFloatVector<T>
    {
        float mean = StripedSum<T>(x, n) / n;
        float variance = StripedSquaredDeviation<T>(x, n, mean) / n;
        float inv = 1f / MathF.Sqrt(variance + eps);
        T vm = T.Broadcast(mean), vinv = T.Broadcast(inv), one = T.Broadcast(1f);
        int i = 0;
        for (; i + T.Count <= n; i += T.Count)
        {
            T a = T.Multiply(T.Subtract(T.Load(x + i), vm), vinv);
            T.Store(T.Fma(a, T.Add(one, T.Load(scale + i)), T.Load(shift + i)), y + i);
        }
        for (; i < n; i++)
            y[i] = MathF.FusedMultiplyAdd((x[i] - mean) * inv, 1f + scale[i], shift[i]);
    }

    public static void Gelu<T>(float* x, float* y, int n) where T : unmanaged, IFloatVector<T>
    {
        int i = 0;
        for (; i + T.Count <= n; i += T.Count) T.Store(VectorMath.Gelu(T.Load(x + i)), y + i);
        for (; i < n; i++) F1.Store(VectorMath.Gelu(F1.Load(x + i)), y + i);
    }

    /// <summary>x[i] = fma(gate[i], y[i], x[i]) over one row.</summary>
    public static void GatedResidualRow<T>(float* x, float* gate, float* y, int n) where T : unmanaged, IFloatVector<T>
    {
        int i = 0;
        for (; i + T.Count <= n; i += T.Count) T.Store(T.Fma(T.Load(gate + i), T.Load(y + i), T.Load(x + i)), x + i);
        for (; i < n; i++) x[i] = MathF.FusedMultiplyAdd(gate[i], y[i], x[i]);
    }

    /// <summary>x = fma(a, xPred − x, x).</summary>
    public static void SamplerStep<T>(float* x, float* xPred, float a, int n) where T : unmanaged, IFloatVector<T>
    {
        T va = T.Broadcast(a);
        int i = 0;
        for (; i + T.Count <= n; i += T.Count)
        {
            T xv = T.Load(x + i);
            T.Store(T.Fma(va, T.Subtract(T.Load(xPred + i), xv), xv), x + i);
        }
        for (; i < n; i++) x[i] = MathF.FusedMultiplyAdd(a, xPred[i] - x[i], x[i]);
    }
}
