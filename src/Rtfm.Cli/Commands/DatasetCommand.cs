// rtfm dataset: posed frame sequences from procedural scenes for training and evaluation.
using System.CommandLine;
using Rtfm.Cli.Rendering;
using Rtfm.Scenes.Datasets;

namespace Rtfm.Cli.Commands;

internal static class DatasetCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var scenes = CommonOptions.PositiveInt("--scenes", "scenes per split", 10, 1_000_000);
        var outDir = new Option<string>("--out") { Description = "output folder", Required = true };
        var frames = CommonOptions.PositiveInt("--frames", "frames per scene", 48, 100_000);
        var size = CommonOptions.PositiveInt("--size", "frame width and height in pixels", 64, 1024);
        var split = new Option<string>("--split") { Description = "train, validation, test or all", DefaultValueFactory = _ => "all" }
            .Check(v => v is "train" or "validation" or "test" or "all" ? null : $"--split must be train, validation, test or all, got '{v}'");
        var noPng = new Option<bool>("--no-png") { Description = "write only frames.u8 + cameras.json (no per-frame PNGs)" };
        var threads = CommonOptions.Threads();
        var cmd = new Command("dataset", "write posed frame sequences (ground truth + poses + intrinsics) with disjoint train/validation/test seeds")
        {
            scenes, outDir, frames, size, split, noPng, threads,
        };
        cmd.SetAction(p =>
        {
            string s = p.GetValue(split)!;
            IReadOnlyList<DatasetSplit> splits = s switch
            {
                "train" => [DatasetSplit.Train],
                "validation" => [DatasetSplit.Validation],
                "test" => [DatasetSplit.Test],
                _ => [DatasetSplit.Train, DatasetSplit.Validation, DatasetSplit.Test],
            };
            if (p.GetValue(size) < 8) throw new UsageException($"--size must be at least 8, got {p.GetValue(size)}");
            var options = new DatasetOptions(p.GetValue(outDir)!, p.GetValue(scenes), p.GetValue(frames), p.GetValue(size), splits, !p.GetValue(noPng), p.GetValue(threads));
            int total = splits.Count * options.Scenes;
            var bar = ConsoleProgress.For(stderr, "scenes", total);
            PosedDataset.Write(options, (done, _) => bar.Report(done));
            stdout.WriteLine($"wrote {total} scenes x {options.FramesPerScene} frames ({options.Size}x{options.Size}) to {Path.GetFullPath(options.OutputDirectory)}");
            return 0;
        });
        return cmd;
    }
}
