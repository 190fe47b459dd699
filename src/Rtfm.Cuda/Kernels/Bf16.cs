// bf16 as raw bits on the host, rounding exactly like the kernels (rtfm_f32_to_bf16 in
// kernels/rtfm_cuda.cuh): round to nearest even, NaN kept NaN.
namespace Rtfm.Cuda.Kernels;

public static class Bf16
{
    public static ushort FromSingle(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7fffffffu) > 0x7f800000u) return (ushort)((u >> 16) | 0x40u);
        u += 0x7fffu + ((u >> 16) & 1u);
        return (ushort)(u >> 16);
    }

    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>The value <paramref name="value"/> becomes when stored as bf16.</summary>
    public static float Round(float value) => ToSingle(FromSingle(value));

    /// <summary>
    /// A linear layer's weight (K, N) row-major f32 as gemm_bf16_tc reads it: Wᵀ (N, K) bf16,
    /// so each output column's K values are contiguous.
    /// </summary>
    public static ushort[] PackTransposed(ReadOnlySpan<float> weight, int k, int n)
    {
        if (weight.Length != k * n) throw new ArgumentException($"weight has {weight.Length} floats, expected {k}x{n}", nameof(weight));
        var packed = new ushort[k * n];
        for (int row = 0; row < k; row++)
            for (int col = 0; col < n; col++) packed[col * k + row] = FromSingle(weight[row * n + col]);
        return packed;
    }
}
