// rtfm demo: the README's main command — a short, self-explaining render run with defaults.
using System.CommandLine;
using Rtfm.Cli.Rendering;
using Rtfm.Compute.Cpu;
using Rtfm.Scenes;

namespace Rtfm.Cli.Commands;

internal static class DemoCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var outDir = new Option<string>("--out") { Description = "output folder", DefaultValueFactory = _ => Path.Combine("out", "demo") };
        var frames = CommonOptions.PositiveInt("--frames", "frames along the out-and-back path", 48, 10_000);
        var threads = CommonOptions.Threads();
        var weights = CommonOptions.Weights();
        var cmd = new Command("demo", "a short demo: one world from one posed image, a session walking out and back, frames + contact sheet + figures")
        {
            outDir, frames, threads, weights,
        };
        cmd.SetAction(p =>
        {
            stdout.WriteLine("RTFM demo: an in-process Orleans silo hosts a world created from ONE posed image of a");
            stdout.WriteLine("procedural scene (seed 7). A session walks the camera out and back; every new view is");
            stdout.WriteLine("rendered by the learned renderer,");
            stdout.WriteLine("attending to the KV blocks of at most K nearby stored frames (spatial memory).");
            stdout.WriteLine("New views are written back to memory when novel, so the return trip revisits them.");
            stdout.WriteLine();
            var options = new RenderRunOptions(
                SceneSeed: 7,
                Trajectory: TrajectoryKind.Loop,
                Frames: p.GetValue(frames),
                InputFrames: 1,
                OutputDirectory: p.GetValue(outDir)!,
                WorldSeed: 1,
                Threads: p.GetValue(threads),
                Isa: CpuIsa.Auto,
                WeightsPath: p.GetValue(weights));
            var result = RenderRun.Execute(options, stdout, stderr, throughSilo: true);
            RenderRun.PrintSummary(result, stdout);
            stdout.WriteLine();
            stdout.WriteLine($"Output written to {result.OutputDirectory}");
            stdout.WriteLine("  contact-sheet.png   ground truth | model, frame by frame");
            stdout.WriteLine("  gt/ model/          the frames as PNGs");
            stdout.WriteLine("  summary.json        every figure above, machine-readable");
            return 0;
        });
        return cmd;
    }
}
