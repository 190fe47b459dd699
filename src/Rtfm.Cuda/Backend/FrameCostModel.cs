// FLOPs, DRAM bytes and launches of every kernel the CUDA backend runs for one frame, worked
// out from the model config exactly as RtfmModel drives the backend (docs/performance.md),
// and a roofline projection onto a GPU. Bytes count each kernel reading its inputs and writing
// its outputs once (reuse inside a kernel is assumed to hit L2/shared memory); element-wise
// arithmetic counts as bytes only.
using Rtfm.Model;

namespace Rtfm.Cuda.Backend;

/// <summary>One kernel's share of a frame.</summary>
/// <param name="Kernel">Kernel entry point (KernelCatalog).</param>
/// <param name="Op">What it computes in the model.</param>
/// <param name="Launches">Launches per frame.</param>
/// <param name="Flops">Floating-point operations per frame (multiply-add = 2).</param>
/// <param name="Bytes">DRAM bytes per frame.</param>
/// <param name="TensorCore">Whether its FLOPs run on tensor cores (bf16 GEMM) rather than f32 SIMT.</param>
/// <param name="BlocksPerLaunch">Thread blocks of one launch: how much of the GPU one launch can occupy.</param>
public sealed record KernelCost(string Kernel, string Op, long Launches, double Flops, double Bytes, bool TensorCore, long BlocksPerLaunch);

/// <summary>A GPU for the projection.</summary>
/// <param name="TensorFlops">Dense bf16 tensor-core peak, FLOP/s.</param>
/// <param name="SimtFlops">f32 non-tensor peak, FLOP/s.</param>
/// <param name="Bandwidth">DRAM bandwidth, bytes/s.</param>
/// <param name="Sms">Streaming multiprocessors (a launch with fewer blocks leaves the rest idle).</param>
public sealed record GpuSpec(string Name, double TensorFlops, double SimtFlops, double Bandwidth, int Sms)
{
    /// <summary>The figures the projection in docs/performance.md uses: 790 TFLOP/s bf16 dense, 60 TFLOP/s f32, 3 TB/s, 132 SMs.</summary>
    public static GpuSpec H100 => new("H100", 790e12, 60e12, 3e12, 132);
}

/// <summary>Fractions of peak a kernel is assumed to reach when its grid fills the GPU, and the floor per launch.</summary>
public sealed record Efficiency(double TensorCore, double Simt, double Memory, double LaunchSeconds)
{
    /// <summary>Our first kernels: mma.sync without cp.async pipelining ~35% of tensor peak, SIMT attention ~40%, streams ~70% of DRAM, 3 µs per launch on a stream.</summary>
    public static Efficiency FirstKernels => new(0.35, 0.40, 0.70, 3e-6);

    /// <summary>The ideal roofline: 100% of every peak, no launch cost.</summary>
    public static Efficiency Roofline => new(1, 1, 1, 0);
}

/// <summary>A frame's projected time on a GPU.</summary>
public sealed record FrameProjection(double Seconds, double ComputeSeconds, double MemorySeconds, double LaunchSeconds, double Flops, double Bytes, long Launches)
{
    public double FramesPerSecond => 1 / Seconds;
}

public static class FrameCostModel
{
    /// <summary>
    /// The kernels of one rendered frame: rays once, then <paramref name="steps"/> sampler steps,
    /// each a full pass over the frame's tokens attending to <paramref name="contextFrames"/> KV
    /// blocks plus itself, the output head and the Euler step (RtfmModel.RenderCore).
    /// </summary>
    public static IReadOnlyList<KernelCost> Render(ModelConfig config, int contextFrames, int steps, GemmPrecision gemm = GemmPrecision.Bf16)
    {
        var c = config.EnsureValid();
        var costs = new Costs(gemm);
        long pixels = (long)c.ImageHeight * c.ImageWidth;
        costs.Add("plucker_rays", "Plücker rays", 1, 0, pixels * 6 * 4, false, Blocks(pixels, 128));
        for (int s = 0; s < steps; s++)
        {
            costs.Add("patchify_with_rays", "patchify", 1, 0, 2L * pixels * 9 * 4, false, Blocks((long)c.TokensPerFrame * c.TokenInputWidth, 256));
            Pass(costs, c, (contextFrames + 1) * c.TokensPerFrame, encode: false);
            int t = c.TokensPerFrame, d = c.Width;
            costs.Gemm("final ada (M = 1)", 1, d, 2 * d);
            costs.LayerNorm(t, d);
            costs.Gemm("final linear", t, d, c.PatchPixelWidth);
            costs.Add("unpatchify", "unpatchify", 1, 0, 2L * pixels * 3 * 4, false, Blocks(pixels * 3, 256));
            costs.Add("sampler_step", "Euler step", 1, 0, 3L * pixels * 3 * 4, false, Blocks(pixels * 3, 256));
        }
        return costs.Merged();
    }

    /// <summary>The kernels of encoding one frame into its KV block (one pass, self-attention only, stopping after the last layer's K and V).</summary>
    public static IReadOnlyList<KernelCost> Encode(ModelConfig config, GemmPrecision gemm = GemmPrecision.Bf16)
    {
        var c = config.EnsureValid();
        var costs = new Costs(gemm);
        long pixels = (long)c.ImageHeight * c.ImageWidth;
        costs.Add("plucker_rays", "Plücker rays", 1, 0, pixels * 6 * 4, false, Blocks(pixels, 128));
        costs.Add("patchify_with_rays", "patchify", 1, 0, 2L * pixels * 9 * 4, false, Blocks((long)c.TokensPerFrame * c.TokenInputWidth, 256));
        Pass(costs, c, c.TokensPerFrame, encode: true);
        return costs.Merged();
    }

    /// <summary>
    /// Projected time: each kernel takes the longest of its compute time, its memory time and
    /// its launches' floor; compute and memory rates scale down when one launch has fewer blocks
    /// than the GPU has SMs (a 64-token frame's GEMM is 4 blocks on a 132-SM GPU).
    /// </summary>
    public static FrameProjection Project(IReadOnlyList<KernelCost> costs, GpuSpec gpu, Efficiency efficiency)
    {
        double total = 0, compute = 0, memory = 0, launch = 0, flops = 0, bytes = 0;
        long launches = 0;
        foreach (var k in costs)
        {
            double fill = Math.Min(1.0, (double)k.BlocksPerLaunch / gpu.Sms);
            double peak = k.TensorCore ? gpu.TensorFlops * efficiency.TensorCore : gpu.SimtFlops * efficiency.Simt;
            double tc = k.Flops / (peak * fill);
            double tm = k.Bytes / (gpu.Bandwidth * efficiency.Memory * fill);
            double tl = k.Launches * efficiency.LaunchSeconds;
            total += Math.Max(Math.Max(tc, tm), tl);
            compute += tc;
            memory += tm;
            launch += tl;
            flops += k.Flops;
            bytes += k.Bytes;
            launches += k.Launches;
        }
        return new FrameProjection(total, compute, memory, launch, flops, bytes, launches);
    }

    private static void Pass(Costs costs, ModelConfig c, int keysPerQuery, bool encode)
    {
        int t = c.TokensPerFrame, d = c.Width, f = c.MlpWidth;
        costs.Gemm("time fc1 (M = 1)", 1, c.TimeFrequencies, d);
        costs.Gelu(d);
        costs.Gemm("time fc2 (M = 1)", 1, d, d);
        costs.Gelu(d);
        costs.Gemm("embed", t, c.TokenInputWidth, d);
        for (int l = 0; l < c.Depth; l++)
        {
            costs.Gemm("adaLN modulation (M = 1)", 1, d, 6 * d);
            costs.LayerNorm(t, d);
            costs.Gemm("q, k, v", t, d, d);
            costs.Gemm("q, k, v", t, d, d);
            if (encode && l == c.Depth - 1) break;
            costs.Gemm("q, k, v", t, d, d);
            long keyBytes = (long)keysPerQuery * d * 4 * 2;
            costs.Add("attention_online_softmax", "attention", 1, 4.0 * t * keysPerQuery * d, (2L * t * d * 4) + keyBytes, false, (long)((t + 7) / 8) * c.Heads);
            costs.Gemm("attention out", t, d, d);
            costs.Residual(t, d);
            costs.LayerNorm(t, d);
            costs.Gemm("mlp fc1", t, d, f);
            costs.Gelu((long)t * f);
            costs.Gemm("mlp fc2", t, f, d);
            costs.Residual(t, d);
        }
    }

    private static long Blocks(long work, int perBlock) => Math.Min((work + perBlock - 1) / perBlock, 4096);

    private sealed class Costs(GemmPrecision gemm)
    {
        private readonly List<KernelCost> _all = [];

        public void Add(string kernel, string op, long launches, double flops, double bytes, bool tensorCore, long blocks) =>
            _all.Add(new KernelCost(kernel, op, launches, flops, bytes, tensorCore, blocks));

        public void Gemm(string op, long m, long k, long n)
        {
            bool bf16 = gemm == GemmPrecision.Bf16;
            double bytes = (m * k * 4) + (k * n * (bf16 ? 2 : 4)) + (n * 4) + (m * n * 4);
            Add(bf16 ? "gemm_bf16_tc" : "gemm_f32", op, 1, 2.0 * m * n * k, bytes, bf16, ((n + 63) / 64) * ((m + 63) / 64));
        }

        public void LayerNorm(long t, long d) => Add("layernorm_modulate", "LayerNorm + modulation", 1, 0, (2 * t * d * 4) + (2 * d * 4), false, (t + 3) / 4);

        public void Gelu(long n) => Add("gelu", "GELU", 1, 0, 2 * n * 4, false, Blocks(n, 256));

        public void Residual(long t, long d) => Add("gated_residual", "gated residual", 1, 0, (3 * t * d * 4) + (d * 4), false, Blocks(t * d, 256));

        /// <summary>Rows with the same kernel, op and launch shape summed (a frame repeats each per layer and step).</summary>
        public IReadOnlyList<KernelCost> Merged() =>
            _all.GroupBy(k => (k.Kernel, k.Op, k.TensorCore, k.BlocksPerLaunch))
                .Select(g => new KernelCost(g.Key.Kernel, g.Key.Op, g.Sum(k => k.Launches), g.Sum(k => k.Flops), g.Sum(k => k.Bytes), g.Key.TensorCore, g.Key.BlocksPerLaunch))
                .ToList();
    }
}
