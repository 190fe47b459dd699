// rtfm render: ground truth and model frames along a camera trajectory through a procedural
// scene, with a contact sheet and timing figures.
using System.CommandLine;
using Rtfm.Cli.Rendering;
using Rtfm.Scenes;

namespace Rtfm.Cli.Commands;

internal static class RenderCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var scene = new Option<int>("--scene") { Description = "procedural scene seed", DefaultValueFactory = _ => 7 };
        var trajectory = new Option<string>("--trajectory") { Description = "camera path: orbit, walk, loop (out and back) or random", DefaultValueFactory = _ => "loop" }
            .Check(v =>
            {
                try { Trajectories.Parse(v ?? ""); return null; }
                catch (ArgumentException ex) { return ex.Message; }
            });
        var frames = CommonOptions.PositiveInt("--frames", "frames to render", 32, 100_000);
        var inputs = CommonOptions.PositiveInt("--inputs", "ground-truth frames the world starts from (the first poses of the path)", 1, 1000);
        var outDir = new Option<string>("--out") { Description = "output folder", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "world seed (sampler noise)", DefaultValueFactory = _ => 1UL };
        var threads = CommonOptions.Threads();
        var isa = CommonOptions.Isa();
        var weights = CommonOptions.Weights();

        var cmd = new Command("render", "render ground truth and model frames along a trajectory; writes PNGs, a contact sheet and summary.json")
        {
            scene, trajectory, frames, inputs, outDir, seed, threads, isa, weights,
        };
        cmd.SetAction(p =>
        {
            var options = new RenderRunOptions(
                SceneSeed: p.GetValue(scene),
                Trajectory: Trajectories.Parse(p.GetValue(trajectory)!),
                Frames: p.GetValue(frames),
                InputFrames: p.GetValue(inputs),
                OutputDirectory: p.GetValue(outDir)!,
                WorldSeed: p.GetValue(seed),
                Threads: p.GetValue(threads),
                Isa: p.GetValue(isa),
                WeightsPath: p.GetValue(weights));
            if (options.InputFrames > options.Frames) throw new UsageException($"--inputs {options.InputFrames} exceeds --frames {options.Frames}");
            var result = RenderRun.Execute(options, stdout, stderr);
            RenderRun.PrintSummary(result, stdout);
            return 0;
        });
        return cmd;
    }
}
