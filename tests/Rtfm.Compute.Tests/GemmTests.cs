// The packed GEMM against a plain double-precision product, and its determinism contract:
// every output is one fma chain over k in order, so all paths and thread counts agree bit
// for bit with a plain scalar loop that follows the contract.
using Rtfm.Compute.Cpu;
using Rtfm.Compute.Cpu.Gemm;
using Rtfm.Compute.Cpu.Threading;

namespace Rtfm.Compute.Tests;

public sealed class GemmTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 1, 300, 7 }, { 5, 17, 33 }, { 6, 64, 32 }, { 7, 129, 65 }, { 64, 576, 256 }, { 13, 100, 1024 }, { 1, 256, 1536 },
    };

    private static float[] Contract(float[] x, float[] w, float[] bias, int m, int k, int n)
    {
        var y = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float acc = bias.Length == 0 ? 0f : bias[j];
                for (int p = 0; p < k; p++) acc = MathF.FusedMultiplyAdd(x[i * k + p], w[p * n + j], acc);
                y[i * n + j] = acc;
            }
        return y;
    }

    private static float[] Run(CpuIsa isa, int threads, float[] x, PackedWeight w, int m, int xOffset = 0)
    {
        using var pool = new CpuWorkerPool(threads);
        var y = new float[m * w.N + 3];
        CpuGemm.Multiply(pool, isa, x, xOffset, m, w, y, 3);
        return y[3..];
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_path_and_thread_count_is_bit_identical_to_the_fma_chain(int m, int k, int n)
    {
        var x = TensorAssert.Random(m * k, m + k);
        var w = TensorAssert.Random(k * n, n);
        var bias = TensorAssert.Random(n, 1);
        var want = Contract(x, w, bias, m, k, n);
        var packed = CpuGemm.Pack(w, bias, k, n);
        foreach (var isa in new[] { CpuIsa.Avx512, CpuIsa.Avx2, CpuIsa.Scalar })
            foreach (int threads in new[] { 1, 2, 3 })
                TensorAssert.BitIdentical(want, Run(isa, threads, x, packed, m), $"gemm {m}x{k}x{n} {isa} x{threads}");
    }

    [Theory]
    [InlineData("ones")]
    [InlineData("arange")]
    [InlineData("identity")]
    public void Structured_inputs_give_exact_products(string kind)
    {
        int m = 7, k = 40, n = 37;
        var x = kind == "ones" ? TensorAssert.Ones(m * k) : TensorAssert.Arange(m * k);
        var w = new float[k * n];
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++)
                w[p * n + j] = kind == "identity" ? (p == j ? 1f : 0f) : 1f;
        var y = Run(CpuIsa.Avx512, 2, x, CpuGemm.Pack(w, [], k, n), m);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float want = kind switch
                {
                    "ones" => k,
                    "arange" => Enumerable.Range(0, k).Sum(p => (float)(i * k + p)),
                    _ => j < k ? x[i * k + j] : 0f,
                };
                Assert.True(want == y[i * n + j], $"{kind} y[{i},{j}] = {y[i * n + j]}, want {want}");
            }
    }

    [Fact]
    public void Matches_a_double_precision_product_within_f32_tolerance()
    {
        int m = 33, k = 1000, n = 70;
        var x = TensorAssert.Random(m * k, 1);
        var w = TensorAssert.Random(k * n, 2);
        var bias = TensorAssert.Random(n, 3);
        var want = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double acc = bias[j];
                for (int p = 0; p < k; p++) acc += (double)x[i * k + p] * w[p * n + j];
                want[i * n + j] = (float)acc;
            }
        TensorAssert.Close(want, Run(CpuIsa.Avx512, 2, x, CpuGemm.Pack(w, bias, k, n), m), 1e-5f * 32, 1e-5f, "gemm vs double");
    }

    [Fact]
    public void Offsets_are_honoured_and_bad_arguments_rejected()
    {
        int m = 3, k = 5, n = 4;
        var x = TensorAssert.Random(2 + m * k, 4);
        var w = TensorAssert.Random(k * n, 5);
        var packed = CpuGemm.Pack(w, [], k, n);
        var want = Contract(x[2..], w, [], m, k, n);
        TensorAssert.BitIdentical(want, Run(CpuIsa.Avx512, 2, x, packed, m, xOffset: 2), "offset");
        using var pool = new CpuWorkerPool(1);
        Assert.Throws<ArgumentException>(() => CpuGemm.Pack(new float[3], [], 2, 2));
        Assert.Throws<ArgumentException>(() => CpuGemm.Pack(new float[4], new float[3], 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuGemm.Pack([], [], 0, 2));
        Assert.Throws<ArgumentException>(() => CpuGemm.Multiply(pool, CpuIsa.Scalar, new float[5], 0, 3, packed, new float[12], 0));
        Assert.Throws<ArgumentException>(() => CpuGemm.Multiply(pool, CpuIsa.Scalar, new float[15], 0, 3, packed, new float[11], 0));
    }
}
