// rtfm bench gpu: on a CUDA device, every op of the CUDA backend against the reference backend
// (the conformance shapes, bf16 tolerances), then per-kernel and per-frame times of RTFM-tiny
// next to the cost model's projection. Without a device it says "no CUDA device" and why, and
// exits 1. --emulate runs the same code on the kernel emulator (checks the command; its times
// say nothing about a GPU).
using System.Diagnostics;
using System.Numerics;
using Rtfm.Compute;
using Rtfm.Compute.Reference;
using Rtfm.Core.Geometry;
using Rtfm.Cuda;
using Rtfm.Cuda.Backend;
using Rtfm.Cuda.Devices;
using Rtfm.Cuda.Kernels;
using Rtfm.Model;
using Rtfm.Model.Weights;

namespace Rtfm.Cli.Benchmarks;

internal static class GpuBenchmark
{
    public static int Run(int ordinal, string? emulateKernels, int repeats, int frames, TextWriter stdout, TextWriter stderr)
    {
        ICudaDevice device;
        try
        {
            device = emulateKernels is not null
                // The repository's emulator cache (.cache/emu beside kernels/), shared with the tests.
                ? EmulatedDevice.Open(emulateKernels, Path.Combine(Path.GetFullPath(emulateKernels), "..", ".cache", "emu"))
                : DriverDevice.Open(ordinal, KernelCatalog.ShippedDirectory,
                    new CubinCache(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "rtfm", "cubin")));
        }
        catch (Exception e) when (e is CudaException or DllNotFoundException or EntryPointNotFoundException or IOException or InvalidOperationException)
        {
            stderr.WriteLine($"no CUDA device: {e.Message}");
            return 1;
        }

        using var backend = new CudaBackend(device);
        stdout.WriteLine($"device: {device.Name}{(emulateKernels is not null ? " — emulated: times below say nothing about a GPU" : "")}");
        int failures = Conformance(backend, stdout);
        stdout.WriteLine(failures == 0 ? "conformance: every op matches the reference" : $"conformance: {failures} op(s) outside tolerance");
        Timings(backend, device, repeats, frames, stdout);
        return failures == 0 ? 0 : 1;
    }

    private static int Conformance(CudaBackend b, TextWriter stdout)
    {
        var r = new ReferenceBackend();
        int failures = 0;
        void Check(string op, float[] want, float[] got, double atol, double rtol)
        {
            double max = 0;
            bool ok = true;
            for (int i = 0; i < want.Length; i++)
            {
                double e = Math.Abs((double)want[i] - got[i]);
                max = double.IsNaN(e) ? double.NaN : Math.Max(max, e);
                if (!(e <= atol + (rtol * Math.Abs(want[i])))) ok = false;
            }
            if (!ok) failures++;
            stdout.WriteLine($"  {(ok ? "pass" : "FAIL")}  {op,-34} max |err| {max:G3} (atol {atol:G3}, rtol {rtol:G3})");
        }

        const double u = 1.0 / 256; // bf16 operand rounding (docs/decisions.md)
        foreach (var (m, k, n) in new[] { (64, 576, 256), (64, 256, 1024), (64, 1024, 256), (1, 256, 1536), (7, 129, 65) })
        {
            var x = Random(m * k, m + k);
            var w = Random(k * n, n);
            var bias = Random(n, 3);
            var want = Run(r, m, n, be => be.Linear(Up(be, x, m, k), be.PrepareLinear(w, bias, k, n), Out(be, m, n)));
            var got = Run(b, m, n, be => be.Linear(Up(be, x, m, k), be.PrepareLinear(w, bias, k, n), Out(be, m, n)));
            Check($"linear {m}x{k}x{n}", want, got, (2e-5 * k) + (2 * u * Math.Sqrt(k)), 2e-5 + u);
        }
        {
            const int tq = 64, d = 256, heads = 4, blocks = 4;
            var q = Random(tq * d, 10);
            var kk = Random(tq * d, 11);
            var v = Random(tq * d, 12);
            var ctx = Enumerable.Range(0, blocks).Select(i => (K: Random(64 * d, 20 + i), V: Random(64 * d, 40 + i))).ToArray();
            float[] Attn(IComputeBackend be) => Run(be, tq, d, bb =>
            {
                var views = ctx.Select(c => new KvBlockView(Up(bb, c.K, 64, d), Up(bb, c.V, 64, d))).ToArray();
                bb.Attention(Up(bb, q, tq, d), views, Up(bb, kk, tq, d), Up(bb, v, tq, d), Out(bb, tq, d), heads);
            });
            Check("attention 64q x 320k, 4 heads", Attn(r), Attn(b), 2e-5, 2e-4);
        }
        {
            var x = Random(64 * 256, 5, 3f);
            var shift = Random(256, 6);
            var scale = Random(256, 7);
            float[] Ln(IComputeBackend be) => Run(be, 64, 256, bb => bb.LayerNormModulate(Up(bb, x, 64, 256), Up(bb, shift, 256), Up(bb, scale, 256), Out(bb, 64, 256), 1e-6f));
            Check("layernorm + modulation 64x256", Ln(r), Ln(b), 1e-4, 1e-4);
            float[] Gelu(IComputeBackend be) => Run(be, 64, 256, bb => bb.Gelu(Up(bb, x, 64, 256), Out(bb, 64, 256)));
            Check("gelu 64x256", Gelu(r), Gelu(b), 1e-6, 1e-5);
            var delta = Random(64 * 256, 8);
            float[] Res(IComputeBackend be) => Run(be, 64, 256, bb =>
            {
                var t = Up(bb, x, 64, 256);
                bb.GatedResidualAdd(t, Up(bb, shift, 256), Up(bb, delta, 64, 256));
                bb.Copy(t, Out(bb, 64, 256));
            });
            Check("gated residual 64x256", Res(r), Res(b), 2e-5, 2e-5);
        }
        {
            var pose = Pose.LookAt(new Vector3(0.3f, 1.2f, -2f), new Vector3(1f, 0.8f, 3f));
            var intr = Intrinsics.FromFieldOfView(64, 64, 65);
            var img = Random(64 * 64 * 3, 4);
            var pred = Random(64 * 64 * 3, 5);
            float[] Pipeline(IComputeBackend be)
            {
                var rays = be.Allocate(64, 64, 6);
                be.PluckerRays(pose, intr, rays);
                var tokens = be.Allocate(64, 576);
                be.PatchifyWithRays(Up(be, img, 64, 64, 3), rays, 8, tokens);
                var patches = be.Allocate(64, 192);
                be.Copy(tokens.View(0, 64, 192), patches);
                var image = be.Allocate(64, 64, 3);
                be.Unpatchify(patches, 8, image);
                be.SamplerStep(image, Up(be, pred, 64, 64, 3), 0.25f, 0.5f);
                var all = new float[tokens.Length + image.Length];
                be.Download(tokens, all.AsSpan(0, tokens.Length));
                be.Download(image, all.AsSpan(tokens.Length));
                return all;
            }
            Check("rays, patchify, unpatchify, sampler", Pipeline(r), Pipeline(b), 1e-6, 1e-6);
        }
        return failures;
    }

    private static void Timings(CudaBackend b, ICudaDevice device, int repeats, int frames, TextWriter stdout)
    {
        var c = ModelConfig.Tiny;
        int t = c.TokensPerFrame, d = c.Width;
        var x = Up(b, Random(t * d, 1), t, d);
        var h = b.Allocate(t, c.MlpWidth);
        var y = b.Allocate(t, d);
        var shift = Up(b, Random(d, 2), d);
        var wD = b.PrepareLinear(Random(d * d, 3), Random(d, 4), d, d);
        var wUp = b.PrepareLinear(Random(d * c.MlpWidth, 5), Random(c.MlpWidth, 6), d, c.MlpWidth);
        var ctx = Enumerable.Range(0, c.ContextFrames).Select(i => new KvBlockView(Up(b, Random(t * d, 10 + i), t, d), Up(b, Random(t * d, 20 + i), t, d))).ToArray();
        var ops = new (string Name, Action Op)[]
        {
            ($"gemm_bf16_tc {t}x{d}x{d}", () => b.Linear(x, wD, y)),
            ($"gemm_bf16_tc {t}x{d}x{c.MlpWidth}", () => b.Linear(x, wUp, h)),
            ($"attention {t}q x {(c.ContextFrames + 1) * t}k", () => b.Attention(x, ctx, x, x, y, c.Heads)),
            ($"layernorm_modulate {t}x{d}", () => b.LayerNormModulate(x, shift, shift, y, 1e-6f)),
            ($"gelu {t}x{c.MlpWidth}", () => b.Gelu(h, h)),
            ($"gated_residual {t}x{d}", () => b.GatedResidualAdd(y, shift, x)),
        };
        stdout.WriteLine($"per-op time (mean of {repeats} back-to-back launches, RTFM-tiny shapes):");
        foreach (var (name, op) in ops)
        {
            op();
            device.Synchronize();
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < repeats; i++) op();
            device.Synchronize();
            stdout.WriteLine($"  {name,-34} {Stopwatch.GetElapsedTime(t0).TotalMicroseconds / repeats,10:F1} µs");
        }

        if (frames == 0) return;
        using var model = new RtfmModel(ModelWeights.RandomInit(c, 1), new NonOwning(b));
        var k = Intrinsics.FromFieldOfView(c.ImageWidth, c.ImageHeight, 65);
        var pose = Pose.LookAt(new Vector3(0, 1.5f, 0), new Vector3(0.2f, 1.4f, 3));
        var frame = Rtfm.Core.Imaging.RgbImage.Noise(c.ImageWidth, c.ImageHeight, seed: 3);
        var block = model.Encode(frame, pose, k);
        var blocks = Enumerable.Repeat(block, c.ContextFrames).ToArray();
        model.RenderInto(pose, k, blocks, 0, frame);
        long f0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < frames; i++) model.RenderInto(pose, k, blocks, (ulong)i, frame);
        double seconds = Stopwatch.GetElapsedTime(f0).TotalSeconds / frames;
        var projected = FrameCostModel.Project(FrameCostModel.Render(c, c.ContextFrames, c.SamplerSteps), GpuSpec.H100, Efficiency.FirstKernels);
        stdout.WriteLine($"RTFM-tiny frame (K = {c.ContextFrames}, {c.SamplerSteps} steps): {seconds * 1e3:F2} ms = {1 / seconds:F1} frames/s measured; " +
                         $"{projected.Seconds * 1e3:F2} ms projected for an H100 by docs/performance.md's model");
    }

    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new System.Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)((rng.NextDouble() * 2) - 1) * scale;
        return a;
    }

    private static Tensor Up(IComputeBackend b, float[] data, params int[] shape)
    {
        var t = b.Allocate(shape);
        b.Upload(t, data);
        return t;
    }

    // The last tensor an op writes: Run downloads it.
    [ThreadStatic] private static Tensor? t_out;

    private static Tensor Out(IComputeBackend b, params int[] shape) => t_out = b.Allocate(shape);

    private static float[] Run(IComputeBackend b, int rows, int cols, Action<IComputeBackend> op)
    {
        op(b);
        var result = new float[rows * cols];
        b.Download(t_out!, result);
        return result;
    }

    /// <summary>Lends the benchmark's backend to a model without the model disposing it.</summary>
    private sealed class NonOwning(IComputeBackend inner) : IComputeBackend
    {
        public string Name => inner.Name;
        public OpCounters Counters => inner.Counters;
        public Tensor Allocate(params int[] shape) => inner.Allocate(shape);
        public void Upload(Tensor destination, ReadOnlySpan<float> source) => inner.Upload(destination, source);
        public void Download(Tensor source, Span<float> destination) => inner.Download(source, destination);
        public LinearWeight PrepareLinear(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int inFeatures, int outFeatures) => inner.PrepareLinear(weight, bias, inFeatures, outFeatures);
        public void Linear(Tensor x, LinearWeight weight, Tensor y) => inner.Linear(x, weight, y);
        public void Attention(Tensor queries, ReadOnlySpan<KvBlockView> context, Tensor selfKeys, Tensor selfValues, Tensor output, int heads) => inner.Attention(queries, context, selfKeys, selfValues, output, heads);
        public void LayerNormModulate(Tensor x, Tensor shift, Tensor scale, Tensor y, float eps) => inner.LayerNormModulate(x, shift, scale, y, eps);
        public void Gelu(Tensor x, Tensor y) => inner.Gelu(x, y);
        public void GatedResidualAdd(Tensor x, Tensor gate, Tensor y) => inner.GatedResidualAdd(x, gate, y);
        public void PluckerRays(in Pose pose, in Intrinsics intrinsics, Tensor rays) => inner.PluckerRays(pose, intrinsics, rays);
        public void PatchifyWithRays(Tensor image, Tensor rays, int patch, Tensor tokens) => inner.PatchifyWithRays(image, rays, patch, tokens);
        public void Unpatchify(Tensor patches, int patch, Tensor image) => inner.Unpatchify(patches, patch, image);
        public void SamplerStep(Tensor x, Tensor xPred, float t, float tNext) => inner.SamplerStep(x, xPred, t, tNext);
        public void Copy(Tensor source, Tensor destination) => inner.Copy(source, destination);
        public void Dispose()
        {
            // The benchmark owns the backend.
        }
    }
}
