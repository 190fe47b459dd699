// The render pipeline behind `rtfm render` and `rtfm demo`: procedural scene -> trajectory ->
// ground truth (ray tracer) -> a world seeded with the first posed frame(s) -> a session
// rendering every pose with the model -> PNGs, contact sheet, summary.json and figures.
using System.Diagnostics;
using System.Text.Json;
using Rtfm.Compute.Cpu;
using Rtfm.Core.Imaging;
using Rtfm.Scenes;

namespace Rtfm.Cli.Rendering;

internal sealed record RenderRunOptions(
    int SceneSeed, TrajectoryKind Trajectory, int Frames, int InputFrames, string OutputDirectory,
    ulong WorldSeed, int Threads, CpuIsa Isa, string? WeightsPath);

internal sealed record RenderRunResult(
    string OutputDirectory,
    string Model,
    bool Trained,
    string Engine,
    string Scene,
    string Trajectory,
    int Frames,
    int InputFrames,
    double FramesPerSecond,
    double P50Milliseconds,
    double P99Milliseconds,
    double GroundTruthMillisecondsPerFrame,
    int FramesInMemory,
    long KvBytes,
    int FramesServedFromMemory,
    double MeanPsnrVsGroundTruth,
    int RevisitPairs,
    int RevisitIdentical,
    double? RevisitPsnrOfRerendered);

internal static class RenderRun
{
    /// <summary>Runs the pipeline on the engine alone (<c>rtfm render</c>) or through an in-process silo (<c>rtfm demo</c>).</summary>
    public static RenderRunResult Execute(RenderRunOptions o, TextWriter stdout, TextWriter stderr, bool throughSilo = false)
    {
        var weights = ModelLoading.LoadWeights(o.WeightsPath);
        var cfg = weights.Config;
        stdout.WriteLine($"model:  {weights.Card.Summary}");
        if (!weights.Card.Trained)
            stdout.WriteLine("        UNTRAINED: no trained weights were found, so model frames are structured noise, not renderings.");

        var scene = SceneGenerator.Generate(o.SceneSeed);
        var intrinsics = scene.DefaultIntrinsics(cfg.ImageWidth, cfg.ImageHeight);
        var poses = Trajectories.Create(o.Trajectory, scene, o.Frames, o.SceneSeed);
        stdout.WriteLine($"scene:  {scene.Describe()}");
        stdout.WriteLine($"path:   {o.Trajectory.ToString().ToLowerInvariant()}, {poses.Count} poses, {cfg.ImageWidth}x{cfg.ImageHeight} frames");

        string outDir = Path.GetFullPath(o.OutputDirectory);
        Directory.CreateDirectory(Path.Combine(outDir, "gt"));
        Directory.CreateDirectory(Path.Combine(outDir, "model"));

        var gt = new RgbImage[poses.Count];
        var gtProgress = ConsoleProgress.For(stderr, "ground truth", poses.Count);
        var gtClock = Stopwatch.StartNew();
        for (int i = 0; i < poses.Count; i++)
        {
            gt[i] = RayTracer.Render(scene, poses[i], intrinsics, threads: o.Threads);
            gtProgress.Report(i + 1);
        }
        double gtMs = gtClock.Elapsed.TotalMilliseconds / poses.Count;

        using IFrameSource source = throughSilo
            ? new SiloFrameSource(weights, ModelLoading.ResolvePath(o.WeightsPath), Path.Combine(outDir, "platform-data"), o.Threads, stdout)
            : new LocalFrameSource(weights, o.Threads, o.Isa, o.WorldSeed);
        stdout.WriteLine($"engine: {source.Engine}");
        source.Start(gt.Take(o.InputFrames).ToArray(), poses.Take(o.InputFrames).ToArray(), intrinsics);

        var frames = new RgbImage[poses.Count];
        var times = new double[poses.Count];
        var servedFromMemory = new bool[poses.Count];
        int fromMemory = 0;
        var progress = ConsoleProgress.For(stderr, "model frames", poses.Count);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < poses.Count; i++)
        {
            var step = source.Step(poses[i]);
            frames[i] = step.Frame;
            times[i] = step.Milliseconds;
            if (step.FromMemory) fromMemory++;
            servedFromMemory[i] = step.FromMemory;
            progress.Report(i + 1);
        }
        source.Flush();
        double wall = clock.Elapsed.TotalSeconds;

        for (int i = 0; i < poses.Count; i++)
        {
            PngCodec.Write(gt[i], Path.Combine(outDir, "gt", $"{i:D4}.png"));
            PngCodec.Write(frames[i], Path.Combine(outDir, "model", $"{i:D4}.png"));
        }
        PngCodec.Write(ContactSheet.Build(gt, frames), Path.Combine(outDir, "contact-sheet.png"));

        // Revisits: on the out-and-back path frame i and frame n-1-i share a pose. Identical
        // pairs are counted apart; the PSNR is over the pairs the model rendered anew.
        int pairs = 0, identical = 0;
        double rerenderedSum = 0;
        if (o.Trajectory == TrajectoryKind.Loop)
        {
            for (int i = 0; i < poses.Count / 2; i++)
            {
                double p = ImageMetrics.Psnr(frames[i], frames[poses.Count - 1 - i]);
                pairs++;
                if (double.IsPositiveInfinity(p)) identical++;
                else rerenderedSum += p;
            }
        }
        double? rerendered = pairs > identical ? rerenderedSum / (pairs - identical) : null;
        // Percentiles over the frames the model rendered: exact revisits served from memory take ~1 ms and would hide them.
        var sorted = times.Where((_, i) => !servedFromMemory[i]).DefaultIfEmpty(0).Order().ToArray();
        var result = new RenderRunResult(
            OutputDirectory: outDir,
            Model: weights.Card.Summary,
            Trained: weights.Card.Trained,
            Engine: source.Engine,
            Scene: scene.Describe(),
            Trajectory: o.Trajectory.ToString().ToLowerInvariant(),
            Frames: poses.Count,
            InputFrames: o.InputFrames,
            FramesPerSecond: poses.Count / wall,
            P50Milliseconds: Percentile(sorted, 0.50),
            P99Milliseconds: Percentile(sorted, 0.99),
            GroundTruthMillisecondsPerFrame: gtMs,
            FramesInMemory: source.FramesInMemory,
            KvBytes: source.KvBytes,
            FramesServedFromMemory: fromMemory,
            MeanPsnrVsGroundTruth: Enumerable.Range(0, poses.Count).Average(i => Math.Min(100.0, ImageMetrics.Psnr(gt[i], frames[i]))),
            RevisitPairs: pairs,
            RevisitIdentical: identical,
            RevisitPsnrOfRerendered: rerendered);
        File.WriteAllText(Path.Combine(outDir, "summary.json"), JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        return result;
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    public static void PrintSummary(RenderRunResult r, TextWriter stdout)
    {
        stdout.WriteLine();
        stdout.WriteLine($"frames rendered        {r.Frames} ({r.FramesServedFromMemory} exact revisits served from memory)");
        stdout.WriteLine($"model fps              {r.FramesPerSecond:F1} frames/s   (p50 {r.P50Milliseconds:F1} ms, p99 {r.P99Milliseconds:F1} ms per rendered frame)");
        stdout.WriteLine($"ground truth           {r.GroundTruthMillisecondsPerFrame:F1} ms/frame (CPU ray tracer)");
        stdout.WriteLine($"frames in memory       {r.FramesInMemory} ({r.InputFrames} input + {r.FramesInMemory - r.InputFrames} generated, written back when novel)");
        stdout.WriteLine($"KV cache               {r.KvBytes / (1024.0 * 1024.0):F1} MiB");
        stdout.WriteLine($"PSNR vs ground truth   {r.MeanPsnrVsGroundTruth:F2} dB{(r.Trained ? "" : "   (untrained model: expect ~noise)")}");
        if (r.RevisitPairs > 0)
        {
            string rest = r.RevisitPsnrOfRerendered is { } rv ? $"; the other {r.RevisitPairs - r.RevisitIdentical} re-rendered at {rv:F2} dB PSNR vs outbound" : "";
            stdout.WriteLine($"revisits               {r.RevisitIdentical} of {r.RevisitPairs} return frames identical to the outbound frame at the same pose{rest}");
        }
    }
}
