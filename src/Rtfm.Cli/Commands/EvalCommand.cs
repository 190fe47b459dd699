// rtfm eval: the model's quality on held-out scenes against the targets, with baselines beside
// every figure; writes docs/quality.md, a contact sheet and a loop PSNR plot.
using System.CommandLine;
using Rtfm.Cli.Evaluation;

namespace Rtfm.Cli.Commands;

internal static class EvalCommand
{
    /// <summary>Frames along each scene's path: the datasets' length, so contexts are as near as in training.</summary>
    private const int FramesPerScene = 48;

    /// <summary>Session length of the cost check.</summary>
    private const int SessionFrames = 10_000;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var weights = CommonOptions.Weights();
        var scenes = Nullable("--scenes", "held-out (test split) scenes (default 12; 1 with --quick)", 1000);
        var targets = Nullable("--targets", "reconstruction and revisit targets per scene (default 8; 2 with --quick)", FramesPerScene);
        var loop = Nullable("--loop-frames", "frames of the out-and-back persistence loop (default 300; 16 with --quick)", 100_000);
        var outDir = new Option<string>("--out") { Description = "folder for the PNGs and quality.json", DefaultValueFactory = _ => Path.Combine("docs", "quality") };
        var doc = new Option<string>("--doc") { Description = "markdown report to write", DefaultValueFactory = _ => Path.Combine("docs", "quality.md") };
        var quick = new Option<bool>("--quick") { Description = "a small run in seconds (for tests): one scene, few targets, a short loop" };
        var threads = CommonOptions.Threads();
        var cmd = new Command("eval", "quality on held-out scenes: reconstruction, revisit, generation, persistence and cost against the targets; writes docs/quality.md and its pictures")
        {
            weights, scenes, targets, loop, outDir, doc, quick, threads,
        };
        cmd.SetAction(p =>
        {
            bool q = p.GetValue(quick);
            var options = new EvalOptions(
                WeightsPath: p.GetValue(weights),
                Scenes: p.GetValue(scenes) ?? (q ? 1 : 12),
                Targets: p.GetValue(targets) ?? (q ? 2 : 8),
                FramesPerScene: q ? 16 : FramesPerScene,
                GenerationSources: q ? 1 : 4,
                LoopFrames: p.GetValue(loop) ?? (q ? 16 : 300),
                SessionFrames: SessionFrames,
                OutputDirectory: p.GetValue(outDir)!,
                DocPath: p.GetValue(doc)!,
                Quick: q,
                Threads: p.GetValue(threads),
                CommandLine: "rtfm " + string.Join(' ', p.Tokens.Select(t => Shown(t.Value))));
            if (options.LoopFrames < 4) throw new UsageException($"--loop-frames {options.LoopFrames} is too short for an out-and-back loop (at least 4)");
            var result = QualityEvaluation.Run(options, stdout, stderr);
            QualityReport.WriteMarkdown(result, options.DocPath);
            QualityReport.WriteJson(result, Path.Combine(options.OutputDirectory, "quality.json"));
            QualityReport.PrintSummary(result, stdout);
            stdout.WriteLine($"wrote {options.DocPath}, {result.ContactSheetPath}, {result.LoopPlotPath}, {result.LoopFramesPath}");
            return 0;
        });
        return cmd;
    }

    /// <summary>The report quotes its command line; absolute paths say nothing to a reader elsewhere, so only their file name is shown.</summary>
    private static string Shown(string token) => Path.IsPathRooted(token) ? Path.GetFileName(Path.TrimEndingDirectorySeparator(token)) : token;

    private static Option<int?> Nullable(string name, string description, int max) =>
        new Option<int?>(name) { Description = description }
            .Check(v => v is { } x && (x <= 0 || x > max) ? $"{name} must be between 1 and {max}, got {x}" : null);
}
