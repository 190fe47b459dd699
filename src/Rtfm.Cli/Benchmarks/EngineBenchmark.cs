// The engine benchmark. Figures: f32 GEMM GFLOP/s at 1024³ and at the model's shapes; a whole
// tiny-config frame (K = 4 context blocks, 4 sampler steps): time, FLOPs from the config,
// achieved GFLOP/s and its ratio to the GEMM rate of the same run; per-op time shares; frames/s
// per SIMD path and thread count.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Rtfm.Compute;
using Rtfm.Compute.Cpu;
using Rtfm.Compute.Cpu.Gemm;
using Rtfm.Compute.Cpu.Threading;
using Rtfm.Compute.Diagnostics;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;
using Rtfm.Model;
using Rtfm.Model.Weights;

namespace Rtfm.Cli.Benchmarks;

internal static class EngineBenchmark
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Run(int threads, double seconds, TextWriter stdout, TextWriter stderr)
    {
        int maxThreads = threads == 0 ? Environment.ProcessorCount : threads;
        var best = CpuIsaSupport.Best;
        var config = ModelConfig.Tiny;
        var md = new StringBuilder();
        md.AppendLine("## Engine (`rtfm bench engine`)");
        md.AppendLine();
        md.AppendLine($"- CPU: {CpuName()} ({Environment.ProcessorCount} logical cores), {RuntimeInformation.FrameworkDescription}, best SIMD path {best}");
        md.AppendLine($"- date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine($"- model: RTFM-tiny {config.ImageWidth}x{config.ImageHeight}, patch {config.Patch}, width {config.Width}, depth {config.Depth}, heads {config.Heads}, K = {config.ContextFrames}, {config.SamplerSteps} steps ({ParameterNames.ParameterCount(config):N0} parameters, seeded random weights: speed does not depend on them)");
        md.AppendLine();

        // 1. GEMM rates.
        stdout.WriteLine("f32 GEMM (y = x·W + b), GFLOP/s:");
        md.AppendLine("### f32 GEMM (the peer figure)");
        md.AppendLine();
        md.AppendLine("| shape M×K×N | path | threads | GFLOP/s |");
        md.AppendLine("|---|---|---:|---:|");
        var gemmShapes = new[] { (1024, 1024, 1024), (64, 576, 256), (64, 256, 256), (64, 256, 1024), (64, 1024, 256) };
        double gemm1024 = 0;
        foreach (var (m, k, n) in gemmShapes)
        {
            foreach (int t in ThreadCounts(maxThreads))
            {
                using var pool = new CpuWorkerPool(t);
                var r = GemmBenchmark.Measure(pool, best, m, n, k, m == 1024 ? seconds : Math.Min(seconds, 1.0)); // the headline shape gets the full time
                if (m == 1024 && t == maxThreads) gemm1024 = r.GflopsPerSecond;
                stdout.WriteLine($"  {m}x{k}x{n,-5} {best,-7} x{t}  {r.GflopsPerSecond,7:F1}");
                md.AppendLine(Inv, $"| {m}×{k}×{n} | {best} | {t} | {r.GflopsPerSecond:F1} |");
            }
        }
        md.AppendLine();

        // 2. Whole frames per path and thread count.
        long renderFlops = config.RenderFlops(config.ContextFrames, config.SamplerSteps);
        long encodeFlops = config.EncodeFlops();
        stdout.WriteLine();
        stdout.WriteLine($"frame: render {renderFlops / 1e9:F2} GFLOP (K = {config.ContextFrames}, {config.SamplerSteps} steps), write-back encode {encodeFlops / 1e9:F2} GFLOP");
        md.AppendLine("### Whole frames (render with K = 4 context blocks, 4 sampler steps)");
        md.AppendLine();
        md.AppendLine($"FLOPs per frame from the config: render {renderFlops / 1e9:F3} GFLOP, encode (write-back) {encodeFlops / 1e9:F3} GFLOP.");
        md.AppendLine();
        md.AppendLine("| path | threads | ms / render | renders/s | GFLOP/s | vs GEMM 1024³ | ms / encode | session frames/s (render + encode) |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        var paths = new List<(CpuIsa Isa, int Threads)>();
        foreach (int t in ThreadCounts(maxThreads)) paths.Add((best, t));
        if (best == CpuIsa.Avx512 && CpuIsaSupport.IsSupported(CpuIsa.Avx2)) paths.Add((CpuIsa.Avx2, maxThreads));
        paths.Add((CpuIsa.Scalar, maxThreads));
        Dictionary<string, OpTiming>? opTimes = null;
        OpCountersSnapshot opCounters = default;
        double bestRenderMs = 0;
        foreach (var (isa, t) in paths)
        {
            var (renderMs, encodeMs, ops, counters) = MeasureFrames(config, isa, t, isa == CpuIsa.Scalar ? Math.Min(seconds, 1.0) : seconds);
            double gflops = renderFlops / (renderMs * 1e6);
            double session = 1000.0 / (renderMs + encodeMs);
            stdout.WriteLine($"  {isa,-7} x{t}  render {renderMs,7:F2} ms ({1000 / renderMs,5:F1}/s, {gflops,6:F1} GFLOP/s = {gflops / gemm1024:P0} of GEMM)  encode {encodeMs,6:F2} ms  session {session,5:F1} frames/s");
            md.AppendLine(Inv, $"| {isa} | {t} | {renderMs:F2} | {1000 / renderMs:F1} | {gflops:F1} | {gflops / gemm1024:P0} | {encodeMs:F2} | {session:F1} |");
            if (isa == best && t == maxThreads) { opTimes = ops; bestRenderMs = renderMs; opCounters = counters; }
        }
        md.AppendLine();

        // 3. Per-op shares of the best configuration.
        if (opTimes is not null)
        {
            md.AppendLine(Inv, $"### Per op ({best}, {maxThreads} threads, one render)");
            md.AppendLine();
            md.AppendLine("| op | calls / frame | ms / frame | share | GFLOP/s |");
            md.AppendLine("|---|---:|---:|---:|---:|");
            // Work counted by the backend for this render: GEMM 2·M·N·K; attention 4·dh per score (q·k and p·v).
            var flopsByOp = new Dictionary<string, double>
            {
                ["linear (gemm)"] = opCounters.GemmFlops,
                ["attention"] = 4.0 * opCounters.AttentionScores * config.HeadDim,
            };
            stdout.WriteLine();
            stdout.WriteLine($"per op ({best} x{maxThreads}), per render:");
            double total = opTimes.Values.Sum(v => v.Seconds);
            foreach (var (name, t) in opTimes.OrderByDescending(kv => kv.Value.Seconds).Select(kv => (kv.Key, kv.Value)))
            {
                double ms = t.Seconds * 1000;
                string rate = flopsByOp.TryGetValue(name, out double f) ? (f / t.Seconds / 1e9).ToString("F1", Inv) : "";
                stdout.WriteLine($"  {name,-18} {t.Calls,5} calls  {ms,7:F3} ms  {t.Seconds / total,6:P1}{(rate.Length > 0 ? $"  {rate,6} GFLOP/s" : "")}");
                md.AppendLine(Inv, $"| {name} | {t.Calls} | {ms:F3} | {t.Seconds / total:P1} | {rate} |");
            }
            md.AppendLine();
        }

        // 4. Targets (issue: foundation + CPU engine).
        double fps = 1000 / bestRenderMs;
        double ratio = renderFlops / (bestRenderMs * 1e6) / gemm1024;
        md.AppendLine("### Against the targets");
        md.AppendLine();
        md.AppendLine("| target | measured | met |");
        md.AppendLine("|---|---:|:---:|");
        md.AppendLine(Inv, $"| GEMM ≥ 100 GFLOP/s at 1024³ ({maxThreads} threads) | {gemm1024:F1} | {(gemm1024 >= 100 ? "yes" : "no")} |");
        md.AppendLine(Inv, $"| whole frame ≥ 50% of the GEMM rate | {ratio:P0} | {(ratio >= 0.5 ? "yes" : "no")} |");
        md.AppendLine(Inv, $"| tiny config ≥ 10 frames/s | {fps:F1} | {(fps >= 10 ? "yes" : "no")} |");
        stdout.WriteLine();
        stdout.WriteLine($"targets: GEMM 1024³ {gemm1024:F1} GFLOP/s (>= 100), frame at {ratio:P0} of GEMM (>= 50%), {fps:F1} frames/s (>= 10)");
        return md.ToString();
    }

    private static IEnumerable<int> ThreadCounts(int max) => max == 1 ? [1] : [1, max];

    private static (double RenderMs, double EncodeMs, Dictionary<string, OpTiming> Ops, OpCountersSnapshot Counters) MeasureFrames(ModelConfig config, CpuIsa isa, int threads, double seconds)
    {
        var profiler = new ProfilingBackend(new CpuBackend(new CpuEngineOptions(threads, isa)));
        using var model = new RtfmModel(ModelWeights.RandomInit(config, 1), profiler);
        var k = Intrinsics.FromFieldOfView(config.ImageWidth, config.ImageHeight, 65);
        var frame = RgbImage.Noise(config.ImageWidth, config.ImageHeight, seed: 5);
        var blocks = Enumerable.Range(0, config.ContextFrames)
            .Select(i => model.Encode(frame, Pose.LookAt(new(i * 0.3f, 1.5f, 0), new(i * 0.3f, 1.5f, 5)), k)).ToArray();
        var pose = Pose.LookAt(new(0.1f, 1.5f, 0.2f), new(0, 1.5f, 5));
        var output = new RgbImage(config.ImageWidth, config.ImageHeight);
        for (int i = 0; i < 3; i++) model.RenderInto(pose, k, blocks, (ulong)i, output); // warm-up (tiered JIT)

        int renders = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds || renders < 2)
        {
            model.RenderInto(pose, k, blocks, (ulong)renders, output);
            renders++;
        }
        double renderMs = clock.Elapsed.TotalMilliseconds / renders;

        profiler.ResetTimings();
        profiler.Counters.Reset();
        model.RenderInto(pose, k, blocks, 99, output);
        var ops = profiler.Timings.ToDictionary(kv => kv.Key, kv => kv.Value);
        var counters = profiler.Counters.Snapshot();

        int encodes = 0;
        clock.Restart();
        while (clock.Elapsed.TotalSeconds < seconds / 4 || encodes < 2)
        {
            model.Encode(output, pose, k);
            encodes++;
        }
        double encodeMs = clock.Elapsed.TotalMilliseconds / encodes;
        return (renderMs, encodeMs, ops, counters);
    }

    private static string CpuName()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
