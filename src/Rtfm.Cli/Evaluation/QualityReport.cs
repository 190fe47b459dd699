// Writes the evaluation as docs/quality.md (tables against the targets, baselines beside every
// figure, links to the pictures), prints the summary, and writes quality.json beside the PNGs
// for scripts and tests.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rtfm.Cli.Evaluation;

internal sealed record Check(string Name, string Target, string Measured, bool Met);

internal static class QualityReport
{
    public const double ReconstructionPsnrMargin = 3.0;
    public const double ReconstructionSharpness = 0.6;
    public const double RevisitPsnr = 28.0;
    public const double PersistenceMargin = 5.0;

    public static IReadOnlyList<Check> Checks(EvalResult r)
    {
        var rc = r.Reconstruction;
        double gain = rc.Model.MeanPsnr - rc.Nearest.MeanPsnr;
        double sharp = rc.SharpnessRatio(rc.Model);
        var p = r.Persistence;
        double margin = p.MemoryPairPsnr - p.WindowPairPsnr;
        return
        [
            new("reconstruction PSNR", $"≥ nearest + {ReconstructionPsnrMargin:F0} dB",
                $"{Db(rc.Model.MeanPsnr)} vs nearest {Db(rc.Nearest.MeanPsnr)} ({Signed(gain)} dB)", gain >= ReconstructionPsnrMargin),
            new("reconstruction SSIM", "≥ nearest", $"{S(rc.Model.MeanSsim)} vs nearest {S(rc.Nearest.MeanSsim)}", rc.Model.MeanSsim >= rc.Nearest.MeanSsim),
            new("reconstruction sharpness", $"≥ {ReconstructionSharpness:F1} of ground truth", $"{R(sharp)} (blurred nearest {R(rc.SharpnessRatio(rc.Blurred))})", sharp >= ReconstructionSharpness),
            new("revisit PSNR (model's own)", $"≥ {RevisitPsnr:F0} dB", Db(r.Revisit.Model.MeanPsnr), r.Revisit.Model.MeanPsnr >= RevisitPsnr),
            new("persistence: return vs outbound", $"memory ≥ window + {PersistenceMargin:F0} dB",
                $"{Db(p.MemoryPairPsnr)} vs {Db(p.WindowPairPsnr)} ({Signed(margin)} dB)", margin >= PersistenceMargin),
            new("cost per frame", "same work at frame 10 and 10 000",
                $"{r.Cost.Early.Work.KeysAttended:N0} / {r.Cost.Late.Work.KeysAttended:N0} keys, {r.Cost.Early.Work.GemmFlops / 1e9:F3} / {r.Cost.Late.Work.GemmFlops / 1e9:F3} GFLOP", r.Cost.Flat),
        ];
    }

    public static void WriteMarkdown(EvalResult r, string docPath)
    {
        var o = r.Options;
        string docDir = Path.GetDirectoryName(Path.GetFullPath(docPath))!;
        string Link(string file) => Path.GetRelativePath(docDir, Path.GetFullPath(file)).Replace('\\', '/');
        var sb = new StringBuilder();
        sb.AppendLine("# Quality of RTFM-tiny");
        sb.AppendLine();
        sb.AppendLine($"Written by `{o.CommandLine}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC in {r.Seconds / 60:F1} minutes ({r.CoreCount} cores). Figures vary");
        sb.AppendLine("with the weights, not with the machine: the scenes, paths, targets and sampler noise are seeded.");
        sb.AppendLine();
        sb.AppendLine($"- model: {r.Card.Summary}{(o.WeightsPath is null ? "" : $", weights `{Path.GetFileName(o.WeightsPath)}`")}");
        if (r.Card.Training is { } training) sb.AppendLine($"- training: {training}");
        if (!r.Card.Trained) sb.AppendLine("- **UNTRAINED**: no trained weights were found; these figures describe a seeded random init.");
        if (o.Quick) sb.AppendLine("- **QUICK run** (`--quick`): too few samples to conclude anything; run `rtfm eval` for the real figures.");
        sb.AppendLine($"- held-out scenes: {r.SceneNames.Count} of the test split ({string.Join(", ", r.SceneNames)}), never seen in training; " +
            $"{o.FramesPerScene} frames along each scene's dataset path, {o.Targets} targets per scene");
        sb.AppendLine($"- baselines: **nearest** = the best context frame by retrieval score, **blurred** = that frame after a Gaussian blur (σ = {QualityEvaluation.BlurSigma} px), " +
            "**mean** = the mean of the context frames");
        sb.AppendLine($"- metrics: PSNR (dB, mean of per-image values), SSIM ({Core.Imaging.ImageMetrics.SsimWindow}×{Core.Imaging.ImageMetrics.SsimWindow} Gaussian window, σ = {Core.Imaging.ImageMetrics.SsimSigma}, " +
            "C1 = 0.01², C2 = 0.03², per RGB channel, averaged), sharpness ratio (mean luminance-gradient magnitude of the frames over that of the ground truth; < 1 is blurrier)");
        sb.AppendLine();

        sb.AppendLine("## Against the targets");
        sb.AppendLine();
        sb.AppendLine("| check | target | measured | met |");
        sb.AppendLine("|---|---|---|:---:|");
        foreach (var c in Checks(r)) sb.AppendLine($"| {c.Name} | {c.Target} | {c.Measured} | {(c.Met ? "yes" : "**no**")} |");
        sb.AppendLine();
        sb.AppendLine("Reconstruction is met only when PSNR, SSIM and sharpness all are: a win by blurring does not count.");
        sb.AppendLine();

        sb.AppendLine($"## Reconstruction ({r.Reconstruction.Count} targets)");
        sb.AppendLine();
        sb.AppendLine($"Context: the K = {r.Card.Config.ContextFrames} frames of the scene's path with the best retrieval score against the target pose, the target's own frame excluded.");
        sb.AppendLine();
        ComparisonTable(sb, r.Reconstruction, meanLabel: "mean of context");
        sb.AppendLine($"The model's PSNR is above the nearest frame's on {r.Reconstruction.ModelAboveNearest} of {r.Reconstruction.Count} targets. By camera path " +
            "(walks and random walks give near context views, orbits wider baselines):");
        sb.AppendLine();
        sb.AppendLine("| path | targets | model PSNR | SSIM | sharpness | nearest PSNR | SSIM | blurred PSNR | SSIM | mean PSNR | SSIM |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (kind, c) in r.ReconstructionByPath)
            sb.AppendLine($"| {kind.ToString().ToLowerInvariant()} | {c.Count} | {Db(c.Model.MeanPsnr)} | {S(c.Model.MeanSsim)} | {R(c.SharpnessRatio(c.Model))} " +
                $"| {Db(c.Nearest.MeanPsnr)} | {S(c.Nearest.MeanSsim)} | {Db(c.Blurred.MeanPsnr)} | {S(c.Blurred.MeanSsim)} | {Db(c.Mean.MeanPsnr)} | {S(c.Mean.MeanSsim)} |");
        sb.AppendLine();
        sb.AppendLine($"## Revisit ({r.Revisit.Count} targets)");
        sb.AppendLine();
        sb.AppendLine("Context: as above, with the target's own frame among the K. The platform may serve an exact-pose revisit from memory " +
            "(that is the nearest baseline: an exact copy, ∞ dB); the model's figure decides every near revisit.");
        sb.AppendLine();
        ComparisonTable(sb, r.Revisit, meanLabel: "mean of context");

        sb.AppendLine("## Generation from one image");
        sb.AppendLine();
        sb.AppendLine($"One ground-truth frame of a walk is the only context; the targets are 1 to {QualityEvaluation.GenerationSteps.Max()} walk steps ahead " +
            $"({o.GenerationSources} source frame(s) per scene). The baselines are that one frame, as is and blurred (the mean of one frame is the frame).");
        sb.AppendLine();
        sb.AppendLine("| move | distance | turn | targets | model PSNR | SSIM | sharpness | nearest PSNR | SSIM | blurred PSNR | SSIM |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var g in r.Generation)
        {
            var c = g.Scores;
            sb.AppendLine($"| {g.Steps} step(s) | {g.MeanDistance:F2} m | {g.MeanTurnDegrees:F1}° | {c.Count} | {Db(c.Model.MeanPsnr)} | {S(c.Model.MeanSsim)} | {R(c.SharpnessRatio(c.Model))} " +
                $"| {Db(c.Nearest.MeanPsnr)} | {S(c.Nearest.MeanSsim)} | {Db(c.Blurred.MeanPsnr)} | {S(c.Blurred.MeanSsim)} |");
        }
        sb.AppendLine();

        var p = r.Persistence;
        sb.AppendLine("## Persistence");
        sb.AppendLine();
        sb.AppendLine($"An out-and-back loop of {p.Frames} frames through {p.Scene}: the world starts from the ground-truth frame at the first pose, and every " +
            $"frame is rendered by the model from frames it rendered before (no exact-pose shortcut). **Spatial memory**: the K best frames of the memory by retrieval score, " +
            $"a frame written back when novel ({p.MemoryFrames} frames stored at the end). **Window**: the last K = {p.ContextFrames} frames. The return frame at each pose is compared with the outbound frame at the same pose " +
            $"({p.Pairs} pairs; PSNR capped at {PersistenceResult.PsnrCap:F0} dB, about 8-bit rounding noise; identical pairs: memory {p.MemoryIdenticalPairs}, window {p.WindowIdenticalPairs}).");
        sb.AppendLine();
        int half = (p.Frames + 1) / 2;
        sb.AppendLine("| context | return vs outbound PSNR | PSNR vs ground truth, outbound | PSNR vs ground truth, return |");
        sb.AppendLine("|---|---:|---:|---:|");
        sb.AppendLine($"| spatial memory | {Db(p.MemoryPairPsnr)} | {Db(p.MemoryVsTruth.Take(half).Average())} | {Db(p.MemoryVsTruth.Skip(half).DefaultIfEmpty(double.NaN).Average())} |");
        sb.AppendLine($"| last {p.ContextFrames} frames | {Db(p.WindowPairPsnr)} | {Db(p.WindowVsTruth.Take(half).Average())} | {Db(p.WindowVsTruth.Skip(half).DefaultIfEmpty(double.NaN).Average())} |");
        sb.AppendLine();
        sb.AppendLine($"![PSNR along the loop]({Link(r.LoopPlotPath)})");
        sb.AppendLine();
        sb.AppendLine("Top: every loop frame against the ground truth. Bottom: each return frame against the outbound frame at the same pose (blue: spatial memory, orange: window).");
        sb.AppendLine();
        sb.AppendLine("Frames at a few poses of the loop, from its start to its far end: ground truth | spatial memory outbound | spatial memory on the way back | window outbound | window on the way back.");
        sb.AppendLine();
        sb.AppendLine($"![Loop frames]({Link(r.LoopFramesPath)})");
        sb.AppendLine();

        var cost = r.Cost;
        sb.AppendLine("## Cost per frame");
        sb.AppendLine();
        sb.AppendLine($"A session of {cost.SessionFrames:N0} poses (a random walk) with every pose kept in memory — the worst case, novelty gating off — " +
            "counted by the engine's op counters for one render. The frames share one KV block: nothing but the K retrieved blocks is read. " +
            $"With the novelty gate on, the same path keeps {cost.GatedMemoryFrames:N0} frames.");
        sb.AppendLine();
        sb.AppendLine("| at frame | frames in memory | keys attended | attention scores | GEMM GFLOP | linear calls | render ms | retrieval µs |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in new[] { cost.Early, cost.Late })
            sb.AppendLine($"| {c.Frame:N0} | {c.MemoryFrames:N0} | {c.Work.KeysAttended:N0} | {c.Work.AttentionScores:N0} | {c.Work.GemmFlops / 1e9:F3} | {c.Work.LinearCalls:N0} | {c.RenderMilliseconds:F1} | {c.RetrievalMicroseconds:F0} |");
        sb.AppendLine();
        sb.AppendLine("Render work is identical; only the retrieval scan grows with the memory (linear in its size, microseconds against a render's milliseconds; render times vary with the machine's load).");
        sb.AppendLine();

        sb.AppendLine("## Pictures");
        sb.AppendLine();
        sb.AppendLine($"Reconstruction targets, each as ground truth | model | nearest | blurred nearest (up to 8, from the first scenes):");
        sb.AppendLine();
        sb.AppendLine($"![Contact sheet]({Link(r.ContactSheetPath)})");
        Directory.CreateDirectory(docDir);
        File.WriteAllText(docPath, sb.ToString());
    }

    private static void ComparisonTable(StringBuilder sb, Comparison c, string meanLabel)
    {
        sb.AppendLine("| frames | PSNR (dB) | SSIM | sharpness ratio |");
        sb.AppendLine("|---|---:|---:|---:|");
        sb.AppendLine($"| **model** | {Db(c.Model.MeanPsnr)} | {S(c.Model.MeanSsim)} | {R(c.SharpnessRatio(c.Model))} |");
        sb.AppendLine($"| nearest | {Db(c.Nearest.MeanPsnr)} | {S(c.Nearest.MeanSsim)} | {R(c.SharpnessRatio(c.Nearest))} |");
        sb.AppendLine($"| blurred nearest | {Db(c.Blurred.MeanPsnr)} | {S(c.Blurred.MeanSsim)} | {R(c.SharpnessRatio(c.Blurred))} |");
        sb.AppendLine($"| {meanLabel} | {Db(c.Mean.MeanPsnr)} | {S(c.Mean.MeanSsim)} | {R(c.SharpnessRatio(c.Mean))} |");
        sb.AppendLine();
    }

    public static void PrintSummary(EvalResult r, TextWriter stdout)
    {
        stdout.WriteLine();
        foreach (var c in Checks(r)) stdout.WriteLine($"{c.Name,-34} {c.Measured,-56} target {c.Target,-36} {(c.Met ? "met" : "NOT MET")}");
        var rc = r.Reconstruction;
        stdout.WriteLine($"{"reconstruction baselines",-34} blurred {Db(rc.Blurred.MeanPsnr)} / {S(rc.Blurred.MeanSsim)}, mean of context {Db(rc.Mean.MeanPsnr)} / {S(rc.Mean.MeanSsim)}");
        foreach (var g in r.Generation)
            stdout.WriteLine($"{$"generation, {g.Steps} step(s) ahead",-34} model {Db(g.Scores.Model.MeanPsnr)} / {S(g.Scores.Model.MeanSsim)}, nearest {Db(g.Scores.Nearest.MeanPsnr)} / {S(g.Scores.Nearest.MeanSsim)}");
        stdout.WriteLine($"evaluated in {r.Seconds:F1} s");
    }

    /// <summary>The figures as JSON (infinity and NaN written as strings).</summary>
    public static void WriteJson(EvalResult r, string path)
    {
        static object Cmp(Comparison c) => new
        {
            targets = c.Count,
            model = Fig(c, c.Model),
            nearest = Fig(c, c.Nearest),
            blurred = Fig(c, c.Blurred),
            mean = Fig(c, c.Mean),
        };
        static object Fig(Comparison c, MethodScores m) => new { psnr = m.MeanPsnr, ssim = m.MeanSsim, sharpness = c.SharpnessRatio(m) };
        var p = r.Persistence;
        var doc = new
        {
            model = r.Card.Id,
            trained = r.Card.Trained,
            quick = r.Options.Quick,
            seconds = r.Seconds,
            scenes = r.SceneNames,
            reconstruction = Cmp(r.Reconstruction),
            reconstruction_by_path = r.ReconstructionByPath.ToDictionary(e => e.Key.ToString().ToLowerInvariant(), e => Cmp(e.Value)),
            revisit = Cmp(r.Revisit),
            generation = r.Generation.Select(g => new { steps = g.Steps, distance = g.MeanDistance, turn_degrees = g.MeanTurnDegrees, scores = Cmp(g.Scores) }),
            persistence = new
            {
                frames = p.Frames,
                pairs = p.Pairs,
                memory_return_vs_outbound = p.MemoryPairPsnr,
                window_return_vs_outbound = p.WindowPairPsnr,
                memory_frames = p.MemoryFrames,
                memory_vs_truth = p.MemoryVsTruth,
                window_vs_truth = p.WindowVsTruth,
            },
            cost = new
            {
                session_frames = r.Cost.SessionFrames,
                flat = r.Cost.Flat,
                early = r.Cost.Early,
                late = r.Cost.Late,
                gated_memory_frames = r.Cost.GatedMemoryFrames,
            },
            checks = Checks(r),
        };
        var options = new JsonSerializerOptions { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
        File.WriteAllText(path, JsonSerializer.Serialize(doc, options));
    }

    private static string Db(double v) => double.IsPositiveInfinity(v) ? "∞ dB" : double.IsNaN(v) ? "n/a" : v.ToString("F2", CultureInfo.InvariantCulture) + " dB";

    private static string S(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F3", CultureInfo.InvariantCulture);

    private static string R(double v) => double.IsNaN(v) ? "n/a" : double.IsPositiveInfinity(v) ? "∞" : v.ToString("F2", CultureInfo.InvariantCulture);

    private static string Signed(double v) => double.IsNaN(v) ? "n/a" : double.IsInfinity(v) ? (v > 0 ? "+∞" : "−∞") : v.ToString("+0.00;−0.00", CultureInfo.InvariantCulture);
}
