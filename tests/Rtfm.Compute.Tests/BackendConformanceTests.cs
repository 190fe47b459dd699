// One conformance suite, written once, run against every backend (ggml's test-backend-ops
// idea): each op on random and structured inputs, compared with the reference backend within
// f32 tolerances. A backend joins by deriving a class that says how to create it.
using Rtfm.Compute.Cpu;
using Rtfm.Compute.Reference;
using Rtfm.Core.Geometry;

namespace Rtfm.Compute.Tests;

public abstract class BackendConformanceTests : IDisposable
{
    // f32 with different summation orders: errors grow ~ sqrt(K)·eps·|terms|.
    private const float Atol = 2e-5f;
    private const float Rtol = 2e-5f;

    private readonly ReferenceBackend _ref = new();
    private readonly IComputeBackend _b;

    protected BackendConformanceTests() => _b = CreateBackend();

    protected abstract IComputeBackend CreateBackend();

    /// <summary>
    /// Relative rounding of one GEMM product's operands before the f32 accumulation: 0 for f32
    /// GEMMs, 2⁻⁸ for bf16 (each operand rounds by at most 2⁻⁹). Linear tolerances grow by
    /// 2·u·√K: the rounding errors of K terms are independent, and 2·u·√K is over ten standard
    /// deviations of their sum for the inputs below, while a layout bug costs O(1) per output.
    /// </summary>
    protected virtual float GemmOperandRounding => 0f;

    public void Dispose() => _b.Dispose();

    private static Tensor Make(IComputeBackend b, float[] data, params int[] shape)
    {
        var t = b.Allocate(shape);
        b.Upload(t, data);
        return t;
    }

    private static float[] Get(IComputeBackend b, Tensor t)
    {
        var a = new float[t.Length];
        b.Download(t, a);
        return a;
    }

    public static TheoryData<int, int, int, string> LinearCases => new()
    {
        { 1, 1, 1, "random" }, { 1, 300, 7, "random" }, { 5, 17, 33, "random" }, { 64, 576, 256, "random" },
        { 64, 256, 1024, "random" }, { 64, 1024, 256, "random" }, { 7, 129, 65, "ones" }, { 13, 40, 50, "arange" },
    };

    [Theory]
    [MemberData(nameof(LinearCases))]
    public void Linear_matches_reference(int m, int k, int n, string kind)
    {
        float[] x = kind switch
        {
            "ones" => TensorAssert.Ones(m * k),
            "arange" => TensorAssert.Arange(m * k, 1f / (m * k)),
            _ => TensorAssert.Random(m * k, 1 + m + k),
        };
        float[] w = kind == "ones" ? TensorAssert.Ones(k * n) : TensorAssert.Random(k * n, 2 + n);
        float[] bias = TensorAssert.Random(n, 3);
        var yr = _ref.Allocate(m, n);
        var yb = _b.Allocate(m, n);
        _ref.Linear(Make(_ref, x, m, k), _ref.PrepareLinear(w, bias, k, n), yr);
        _b.Linear(Make(_b, x, m, k), _b.PrepareLinear(w, bias, k, n), yb);
        // Sums of K products of magnitude <= 1: allow eps·K absolute, plus the operand rounding.
        float u = GemmOperandRounding;
        TensorAssert.Close(Get(_ref, yr), Get(_b, yb), Atol * k + 2 * u * MathF.Sqrt(k), Rtol + u, $"{_b.Name} linear {m}x{k}x{n} {kind}");
    }

    public static TheoryData<int, int, int, int, string> AttentionCases => new()
    {
        // queries, D, heads, context blocks (64 rows each), kind
        { 64, 256, 4, 4, "random" }, { 64, 256, 4, 0, "random" }, { 17, 48, 3, 2, "random" },
        { 5, 16, 1, 1, "random" }, { 64, 256, 4, 4, "large" }, { 33, 64, 2, 3, "arange" },
    };

    [Theory]
    [MemberData(nameof(AttentionCases))]
    public void Attention_matches_reference(int tq, int d, int heads, int blocks, string kind)
    {
        float scale = kind == "large" ? 8f : 1f; // large scores: the online softmax's rescaling must be exact
        float[] Data(int n, int seed) => kind == "arange" ? TensorAssert.Arange(n, 1f / n, -0.5f) : TensorAssert.Random(n, seed, scale);
        var q = Data(tq * d, 10);
        var k = Data(tq * d, 11);
        var v = TensorAssert.Random(tq * d, 12);
        var ctx = Enumerable.Range(0, blocks).Select(i => (K: Data(64 * d, 20 + i), V: TensorAssert.Random(64 * d, 40 + i))).ToArray();
        float[] Run(IComputeBackend b)
        {
            var views = ctx.Select(c => new KvBlockView(Make(b, c.K, 64, d), Make(b, c.V, 64, d))).ToArray();
            var o = b.Allocate(tq, d);
            b.Attention(Make(b, q, tq, d), views, Make(b, k, tq, d), Make(b, v, tq, d), o, heads);
            return Get(b, o);
        }
        TensorAssert.Close(Run(_ref), Run(_b), Atol, Rtol * 10, $"{_b.Name} attention tq={tq} d={d} heads={heads} blocks={blocks} {kind}");
        Assert.Equal((long)tq * (tq + 64 * blocks) * heads, _b.Counters.AttentionScores);
    }

    [Theory]
    [InlineData(64, 256, "random")]
    [InlineData(3, 37, "random")]
    [InlineData(4, 16, "arange")]
    [InlineData(2, 256, "offset")]
    public void LayerNormModulate_matches_reference(int t, int d, string kind)
    {
        float[] x = kind switch
        {
            "arange" => TensorAssert.Arange(t * d),
            "offset" => TensorAssert.Random(t * d, 5).Select(v => v + 100f).ToArray(), // large mean: needs the two-pass variance
            _ => TensorAssert.Random(t * d, 5, 3f),
        };
        var shift = TensorAssert.Random(d, 6);
        var scale = TensorAssert.Random(d, 7);
        float[] Run(IComputeBackend b)
        {
            var y = b.Allocate(t, d);
            b.LayerNormModulate(Make(b, x, t, d), Make(b, shift, d), Make(b, scale, d), y, 1e-6f);
            return Get(b, y);
        }
        TensorAssert.Close(Run(_ref), Run(_b), Atol * 5, Rtol * 5, $"{_b.Name} layernorm {t}x{d} {kind}");
    }

    [Fact]
    public void Gelu_matches_reference_over_a_wide_range()
    {
        var x = TensorAssert.Arange(4001, 0.01f, -20f).Concat(TensorAssert.Random(999, 8, 5f)).ToArray();
        float[] Run(IComputeBackend b)
        {
            var t = Make(b, x, x.Length);
            b.Gelu(t, t);
            return Get(b, t);
        }
        TensorAssert.Close(Run(_ref), Run(_b), 1e-6f, 1e-5f, $"{_b.Name} gelu");
    }

    [Fact]
    public void GatedResidual_sampler_patchify_unpatchify_and_rays_match_reference()
    {
        var x = TensorAssert.Random(64 * 256, 1);
        var gate = TensorAssert.Random(256, 2);
        var y = TensorAssert.Random(64 * 256, 3);
        float[] Residual(IComputeBackend b)
        {
            var t = Make(b, x, 64, 256);
            b.GatedResidualAdd(t, Make(b, gate, 256), Make(b, y, 64, 256));
            return Get(b, t);
        }
        TensorAssert.Close(Residual(_ref), Residual(_b), Atol, Rtol, $"{_b.Name} gated residual");

        var img = TensorAssert.Random(16 * 24 * 3, 4);
        var pred = TensorAssert.Random(16 * 24 * 3, 5);
        float[] Step(IComputeBackend b)
        {
            var t = Make(b, img, 16, 24, 3);
            b.SamplerStep(t, Make(b, pred, 16, 24, 3), 0.25f, 0.5f);
            return Get(b, t);
        }
        TensorAssert.Close(Step(_ref), Step(_b), Atol, Rtol, $"{_b.Name} sampler step");

        var pose = Pose.LookAt(new(0.3f, 1.2f, -2f), new(1f, 0.8f, 3f));
        var intr = Intrinsics.FromFieldOfView(24, 16, 70);
        float[] Tokens(IComputeBackend b)
        {
            var rays = b.Allocate(16, 24, 6);
            b.PluckerRays(pose, intr, rays);
            var tok = b.Allocate(24, 4 * 4 * 9);
            b.PatchifyWithRays(Make(b, img, 16, 24, 3), rays, 4, tok);
            return Get(b, tok);
        }
        TensorAssert.BitIdentical(Tokens(_ref), Tokens(_b), $"{_b.Name} patchify with rays");

        var patches = TensorAssert.Random(24 * 48, 9);
        float[] Unpatch(IComputeBackend b)
        {
            var o = b.Allocate(16, 24, 3);
            b.Unpatchify(Make(b, patches, 24, 48), 4, o);
            return Get(b, o);
        }
        TensorAssert.BitIdentical(Unpatch(_ref), Unpatch(_b), $"{_b.Name} unpatchify");
    }
}

public sealed class ReferenceBackendConformance : BackendConformanceTests
{
    protected override IComputeBackend CreateBackend() => new ReferenceBackend();
}

public sealed class CpuAvx512Conformance : BackendConformanceTests
{
    protected override IComputeBackend CreateBackend() => CpuTestBackends.Create(CpuIsa.Avx512, 2);
}

public sealed class CpuAvx2Conformance : BackendConformanceTests
{
    protected override IComputeBackend CreateBackend() => CpuTestBackends.Create(CpuIsa.Avx2, 2);
}

public sealed class CpuScalarConformance : BackendConformanceTests
{
    protected override IComputeBackend CreateBackend() => CpuTestBackends.Create(CpuIsa.Scalar, 1);
}

internal static class CpuTestBackends
{
    /// <summary>
    /// A CPU backend on the given path. A machine without the instructions fails here with
    /// the reason (it does not skip): the CI machines have AVX-512 and AVX2.
    /// </summary>
    public static CpuBackend Create(CpuIsa isa, int threads)
    {
        if (!CpuIsaSupport.IsSupported(isa))
            throw new InvalidOperationException($"this CPU lacks {isa}; the conformance suite needs AVX-512 and AVX2 (set RTFM_CPU_ISA to run the app on a smaller path)");
        return new CpuBackend(new CpuEngineOptions(threads, isa));
    }
}
