// Tolerance checks in the llm.c style: |got - want| <= atol + rtol·|want|, with the first
// mismatches and the max error in the message; and bit-exact comparison for determinism.
using System.Text;

namespace Rtfm.Compute.Tests;

internal static class TensorAssert
{
    public static void Close(ReadOnlySpan<float> want, ReadOnlySpan<float> got, double atol, double rtol, string what)
    {
        Assert.Equal(want.Length, got.Length);
        int bad = 0;
        double maxErr = 0;
        var sb = new StringBuilder();
        for (int i = 0; i < want.Length; i++)
        {
            double err = Math.Abs((double)got[i] - want[i]);
            if (!(err <= atol + rtol * Math.Abs(want[i])))
            {
                if (bad < 8) sb.Append($"  [{i}] want {want[i]:G9} got {got[i]:G9} err {err:G3}\n");
                bad++;
            }
            if (!double.IsNaN(err)) maxErr = Math.Max(maxErr, err);
            else maxErr = double.NaN;
        }
        Assert.True(bad == 0, $"{what}: {bad}/{want.Length} elements outside atol {atol} + rtol {rtol}; max error {maxErr:G3}\n{sb}");
    }

    public static void BitIdentical(ReadOnlySpan<float> want, ReadOnlySpan<float> got, string what)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(want[i]) != BitConverter.SingleToInt32Bits(got[i]))
                Assert.Fail($"{what}: first difference at [{i}]: {want[i]:G9} vs {got[i]:G9}");
        }
    }

    public static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new System.Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    public static float[] Arange(int n, float step = 1f, float start = 0f)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = start + i * step;
        return a;
    }

    public static float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();

    public static double Rms(ReadOnlySpan<float> a)
    {
        double s = 0;
        foreach (float v in a) s += (double)v * v;
        return Math.Sqrt(s / Math.Max(1, a.Length));
    }
}
