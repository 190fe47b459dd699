// Every kernel of kernels/*.cu run on the CPU emulator (the same sources, g++, fibers for
// threads, warp collectives for shuffles and the bf16 MMA) against the plain C# reference of
// its op, on seeded random and structured inputs. Tolerances by dtype: the bf16 GEMM is held to
// f32 accuracy against the reference on bf16-rounded inputs (so a fragment-layout bug cannot
// hide inside bf16 noise) and to bf16 accuracy against the f32 reference.
using Rtfm.Compute;
using Rtfm.Compute.Reference;
using Rtfm.Core.Geometry;
using Rtfm.Cuda.Emulation;
using Rtfm.Cuda.Kernels;

namespace Rtfm.Cuda.Tests;

public sealed class EmulatedKernelTests
{
    private readonly KernelEmulator _emu = EmulatorFixture.Emulator;
    private readonly ReferenceBackend _ref = new();

    private Tensor Ref(float[] data, params int[] shape)
    {
        var t = _ref.Allocate(shape);
        _ref.Upload(t, data);
        return t;
    }

    private float[] Get(Tensor t)
    {
        var a = new float[t.Length];
        _ref.Download(t, a);
        return a;
    }

    private static uint Blocks(long n, uint threads) => (uint)Math.Min((n + threads - 1) / threads, 1024);

    public static TheoryData<int, int, int, string> GemmCases => new()
    {
        { 64, 576, 256, "random" }, { 64, 256, 1024, "gelu" }, { 5, 17, 33, "random" }, { 1, 1, 1, "random" },
        { 70, 130, 72, "random" }, { 13, 40, 50, "arange" },
    };

    private (float[] X, float[] W, float[] B) GemmInputs(int m, int k, int n, string kind)
    {
        float[] x = kind == "arange" ? TensorAssert.Arange(m * k, 1f / (m * k)) : TensorAssert.Random(m * k, 1 + m + k);
        return (x, TensorAssert.Random(k * n, 2 + n), TensorAssert.Random(n, 3));
    }

    private float[] ReferenceLinear(float[] x, float[] w, float[] b, int m, int k, int n, bool gelu)
    {
        var y = _ref.Allocate(m, n);
        _ref.Linear(Ref(x, m, k), _ref.PrepareLinear(w, b, k, n), y);
        if (gelu) _ref.Gelu(y, y);
        return Get(y);
    }

    [Theory]
    [MemberData(nameof(GemmCases))]
    public void Gemm_bf16_tensor_cores_matches_reference(int m, int k, int n, string kind)
    {
        var (x, w, b) = GemmInputs(m, k, n, kind);
        bool gelu = kind == "gelu";
        var dx = new EmuBuffer<float>(x);
        var dw = new EmuBuffer<ushort>(Bf16.PackTransposed(w, k, n));
        var db = new EmuBuffer<float>(b);
        var dy = new EmuBuffer<float>(m * n);
        var p = new GemmParams { X = dx.Ptr, Weight = dw.Ptr, Bias = db.Ptr, Y = dy.Ptr, M = m, N = n, K = k, Epilogue = gelu ? GemmParams.EpilogueGelu : GemmParams.EpilogueNone };
        _emu.Launch("gemm_bf16_tc", new Dim3((uint)(n + 63) / 64, (uint)(m + 63) / 64), new Dim3(128), 0, p);
        float[] got = dy.Data[..(m * n)];

        // Same bf16 inputs, exact products, f32 sums: only the summation order differs.
        float[] exact = ReferenceLinear(x.Select(Bf16.Round).ToArray(), w.Select(Bf16.Round).ToArray(), b, m, k, n, gelu);
        TensorAssert.Close(exact, got, 2e-6 * k, 1e-5, $"gemm_bf16_tc {m}x{k}x{n} {kind} vs reference on bf16-rounded inputs");

        // Against f32 inputs: bf16 rounding of both operands, ~2^-8 relative per product.
        float[] f32 = ReferenceLinear(x, w, b, m, k, n, gelu);
        TensorAssert.Close(f32, got, 1e-2 * Math.Max(TensorAssert.Rms(f32), 1e-3), 1e-2, $"gemm_bf16_tc {m}x{k}x{n} {kind} vs f32 reference");
    }

    [Theory]
    [MemberData(nameof(GemmCases))]
    public void Gemm_f32_fallback_matches_reference_and_sums_in_order(int m, int k, int n, string kind)
    {
        var (x, w, b) = GemmInputs(m, k, n, kind);
        bool gelu = kind == "gelu";
        var dx = new EmuBuffer<float>(x);
        var dw = new EmuBuffer<float>(w);
        var db = new EmuBuffer<float>(b);
        var dy = new EmuBuffer<float>(m * n);
        var p = new GemmParams { X = dx.Ptr, Weight = dw.Ptr, Bias = db.Ptr, Y = dy.Ptr, M = m, N = n, K = k, Epilogue = gelu ? GemmParams.EpilogueGelu : GemmParams.EpilogueNone };
        _emu.Launch("gemm_f32", new Dim3((uint)(n + 63) / 64, (uint)(m + 63) / 64), new Dim3(256), 0, p);
        float[] got = dy.Data[..(m * n)];
        TensorAssert.Close(ReferenceLinear(x, w, b, m, k, n, gelu), got, 2e-5 * k, 2e-5, $"gemm_f32 {m}x{k}x{n} {kind}");
        if (gelu) return;

        // The interface's order: from the bias, k = 0..K-1, one FMA each: bit for bit.
        var inOrder = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float acc = b[j];
                for (int q = 0; q < k; q++) acc = MathF.FusedMultiplyAdd(x[i * k + q], w[q * n + j], acc);
                inOrder[i * n + j] = acc;
            }
        TensorAssert.BitIdentical(inOrder, got, $"gemm_f32 {m}x{k}x{n} {kind} vs in-order FMA");
    }

    public static TheoryData<int, int, int, int, string> AttentionCases => new()
    {
        { 64, 256, 4, 4, "random" }, { 64, 256, 4, 0, "random" }, { 17, 48, 3, 2, "random" },
        { 5, 16, 1, 1, "random" }, { 64, 256, 4, 4, "large" }, { 33, 64, 2, 3, "arange" }, { 40, 512, 4, 1, "random" },
    };

    [Theory]
    [MemberData(nameof(AttentionCases))]
    public unsafe void Attention_matches_reference(int tq, int d, int heads, int blocks, string kind)
    {
        float scale = kind == "large" ? 8f : 1f; // large scores: the online rescaling must be exact
        float[] Input(int n, int seed) => kind == "arange" ? TensorAssert.Arange(n, 1f / n, -0.5f) : TensorAssert.Random(n, seed, scale);
        var q = Input(tq * d, 10);
        var k = Input(tq * d, 11);
        var v = TensorAssert.Random(tq * d, 12);
        int[] rows = Enumerable.Range(0, blocks).Select(i => 64 - 7 * i).ToArray(); // ragged tiles too
        var ctx = Enumerable.Range(0, blocks).Select(i => (K: Input(rows[i] * d, 20 + i), V: TensorAssert.Random(rows[i] * d, 40 + i))).ToArray();

        var views = ctx.Select((c, i) => new KvBlockView(Ref(c.K, rows[i], d), Ref(c.V, rows[i], d))).ToArray();
        var o = _ref.Allocate(tq, d);
        _ref.Attention(Ref(q, tq, d), views, Ref(k, tq, d), Ref(v, tq, d), o, heads);

        var dq = new EmuBuffer<float>(q);
        var dk = new EmuBuffer<float>(k);
        var dv = new EmuBuffer<float>(v);
        var dout = new EmuBuffer<float>(tq * d);
        var dctx = ctx.Select(c => (K: new EmuBuffer<float>(c.K), V: new EmuBuffer<float>(c.V))).ToArray();
        var p = new AttentionParams { Q = dq.Ptr, SelfK = dk.Ptr, SelfV = dv.Ptr, Out = dout.Ptr, ContextBlocks = blocks, Tq = tq, D = d, Heads = heads, Scale = 1f / MathF.Sqrt(d / heads) };
        for (int i = 0; i < blocks; i++)
        {
            p.ContextK[i] = dctx[i].K.Ptr.Address;
            p.ContextV[i] = dctx[i].V.Ptr.Address;
            p.ContextRows[i] = rows[i];
        }
        _emu.Launch("attention_online_softmax", new Dim3((uint)(tq + 7) / 8, (uint)heads), new Dim3(256), 0, p);
        TensorAssert.Close(Get(o), dout.Data[..(tq * d)], 2e-5, 2e-4, $"attention tq={tq} d={d} heads={heads} blocks={blocks} {kind}");
    }

    [Theory]
    [InlineData(64, 256, "random")]
    [InlineData(3, 37, "random")]
    [InlineData(4, 16, "arange")]
    [InlineData(2, 256, "offset")]
    [InlineData(9, 1024, "random")]
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
        var y = _ref.Allocate(t, d);
        _ref.LayerNormModulate(Ref(x, t, d), Ref(shift, d), Ref(scale, d), y, 1e-6f);

        var dx = new EmuBuffer<float>(x);
        var dsh = new EmuBuffer<float>(shift);
        var dsc = new EmuBuffer<float>(scale);
        var dy = new EmuBuffer<float>(t * d);
        var p = new LayerNormParams { X = dx.Ptr, Shift = dsh.Ptr, Scale = dsc.Ptr, Y = dy.Ptr, Rows = t, Cols = d, Eps = 1e-6f };
        _emu.Launch("layernorm_modulate", new Dim3((uint)(t + 3) / 4), new Dim3(128), 0, p);
        TensorAssert.Close(Get(y), dy.Data[..(t * d)], 1e-4, 1e-4, $"layernorm_modulate {t}x{d} {kind}");
    }

    [Fact]
    public void GatedResidual_matches_reference()
    {
        var x = TensorAssert.Random(64 * 256, 1);
        var gate = TensorAssert.Random(256, 2);
        var y = TensorAssert.Random(64 * 256, 3);
        var rx = Ref(x, 64, 256);
        _ref.GatedResidualAdd(rx, Ref(gate, 256), Ref(y, 64, 256));

        var dx = new EmuBuffer<float>(x);
        var dg = new EmuBuffer<float>(gate);
        var dy = new EmuBuffer<float>(y);
        _emu.Launch("gated_residual", new Dim3(Blocks(x.Length, 256)), new Dim3(256), 0, new GatedResidualParams { X = dx.Ptr, Gate = dg.Ptr, Y = dy.Ptr, Rows = 64, Cols = 256 });
        TensorAssert.Close(Get(rx), dx.Data, 2e-6, 2e-6, "gated_residual 64x256");
    }

    [Fact]
    public void Gelu_matches_reference_over_a_wide_range_in_place()
    {
        var x = TensorAssert.Arange(4001, 0.01f, -20f).Concat(TensorAssert.Random(999, 8, 5f)).ToArray();
        var rx = Ref(x, x.Length);
        _ref.Gelu(rx, rx);
        var dx = new EmuBuffer<float>(x);
        _emu.Launch("gelu", new Dim3(4), new Dim3(256), 0, new GeluParams { X = dx.Ptr, Y = dx.Ptr, N = x.Length });
        TensorAssert.Close(Get(rx), dx.Data, 1e-6, 1e-5, "gelu");
    }

    [Fact]
    public void Plucker_rays_and_patchify_are_bit_identical_to_reference()
    {
        var pose = Pose.LookAt(new(0.3f, 1.2f, -2f), new(1f, 0.8f, 3f));
        foreach (var (w, h, patch) in new[] { (24, 16, 4), (64, 64, 8) })
        {
            var intr = Intrinsics.FromFieldOfView(w, h, 70);
            var img = TensorAssert.Random(h * w * 3, 4);
            var rays = _ref.Allocate(h, w, 6);
            _ref.PluckerRays(pose, intr, rays);
            int tokens = (h / patch) * (w / patch), width = patch * patch * 9;
            var tok = _ref.Allocate(tokens, width);
            _ref.PatchifyWithRays(Ref(img, h, w, 3), rays, patch, tok);

            var drays = new EmuBuffer<float>(h * w * 6);
            _emu.Launch("plucker_rays", new Dim3(Blocks(h * w, 128)), new Dim3(128), 0, PluckerParams.Create(drays.Ptr, pose, intr));
            TensorAssert.BitIdentical(Get(rays), drays.Data, $"plucker_rays {w}x{h}");

            var dimg = new EmuBuffer<float>(img);
            var dtok = new EmuBuffer<float>(tokens * width);
            _emu.Launch("patchify_with_rays", new Dim3(Blocks(tokens * width, 256)), new Dim3(256), 0,
                new PatchifyParams { Image = dimg.Ptr, Rays = drays.Ptr, Tokens = dtok.Ptr, Height = h, Width = w, Patch = patch });
            TensorAssert.BitIdentical(Get(tok), dtok.Data, $"patchify_with_rays {w}x{h} p={patch}");
        }
    }

    [Fact]
    public void Unpatchify_and_sampler_step_match_reference()
    {
        const int h = 16, w = 24, patch = 4;
        var patches = TensorAssert.Random(24 * 48, 9);
        var x = TensorAssert.Random(h * w * 3, 4);
        const float t = 0.25f, tNext = 0.5f;
        float step = (float)((tNext - (double)t) / (1.0 - t));

        var image = _ref.Allocate(h, w, 3);
        _ref.Unpatchify(Ref(patches, 24, 48), patch, image);
        var rx = Ref(x, h, w, 3);
        _ref.SamplerStep(rx, image, t, tNext);

        var dp = new EmuBuffer<float>(patches);
        var dimg = new EmuBuffer<float>(h * w * 3);
        _emu.Launch("unpatchify", new Dim3(2), new Dim3(256), 0, new UnpatchifyParams { Patches = dp.Ptr, Image = dimg.Ptr, Height = h, Width = w, Patch = patch });
        TensorAssert.BitIdentical(Get(image), dimg.Data, "unpatchify");

        var dx = new EmuBuffer<float>(x);
        _emu.Launch("sampler_step", new Dim3(2), new Dim3(256), 0, new SamplerStepParams { X = dx.Ptr, XPred = dimg.Ptr, N = x.Length, Step = step });
        TensorAssert.Close(Get(rx), dx.Data, 2e-6, 2e-6, "sampler_step");

        var fused = new EmuBuffer<float>(x);
        _emu.Launch("unpatchify_sampler_step", new Dim3(2), new Dim3(256), 0, new UnpatchifyParams { Patches = dp.Ptr, Image = fused.Ptr, Height = h, Width = w, Patch = patch, Step = step });
        TensorAssert.BitIdentical(dx.Data, fused.Data, "unpatchify_sampler_step vs unpatchify then sampler_step");
    }
}
