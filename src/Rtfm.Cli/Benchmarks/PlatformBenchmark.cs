// Platform overhead: N concurrent sessions (1, 2, 4) stepping through world/session grains on
// an in-process silo, against the engine alone doing the same steps (retrieve, render, write
// back) in one loop, in the same run. The silo renders one frame at a time (docs/decisions.md),
// so the ideal is equal throughput; the gap is the grains, storage and serialisation.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Rtfm.Cli.Rendering;
using Rtfm.Compute.Cpu;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;
using Rtfm.Grains.Abstractions;
using Rtfm.Grains.Worlds;
using Rtfm.Model;
using Rtfm.Model.Memory;
using Rtfm.Model.Weights;
using Rtfm.Scenes;

namespace Rtfm.Cli.Benchmarks;

internal static class PlatformBenchmark
{
    private const int SceneSeed = 11;
    private const int InputFrames = 4;

    public static string Run(int threads, int steps, int rounds, TextWriter stdout)
    {
        var weights = ModelWeights.RandomInit(ModelConfig.Tiny, 1);
        var scene = SceneGenerator.Generate(SceneSeed);
        var k = scene.DefaultIntrinsics(weights.Config.ImageWidth, weights.Config.ImageHeight);
        var inputPoses = Trajectories.Walk(scene, InputFrames, SceneSeed);
        var inputs = inputPoses.Select(p => RayTracer.Render(scene, p, k)).ToArray();
        var md = new StringBuilder();
        md.AppendLine("## Platform (`rtfm bench platform`)");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Concurrent sessions, each a {steps}-step random walk in scene {SceneSeed} (world from {InputFrames} posed frames, tiny config, untrained weights), through world + session grains on an in-process silo vs the engine alone running the same steps in one loop. The silo renders one frame at a time, so equal throughput is the ideal. The grains' clock runs until every session has flushed what it kept (write-behind included). Best of {rounds} alternating rounds each (this VM's speed swings between identical runs).");
        md.AppendLine();
        md.AppendLine("| sessions | steps | engine alone frames/s | grains frames/s | grains / engine | overhead |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|");
        stdout.WriteLine("sessions  engine fps  grains fps  ratio");
        foreach (int n in new[] { 1, 2, 4 })
        {
            var paths = Enumerable.Range(0, n).Select(i => Trajectories.RandomWalk(scene, steps, 100 + i)).ToArray();
            double engineFps = 0, grainFps = 0;
            for (int r = 0; r < rounds; r++)
            {
                engineFps = Math.Max(engineFps, Engine(weights, threads, inputs, inputPoses, k, paths));
                grainFps = Math.Max(grainFps, ThroughGrains(weights, threads, inputs, inputPoses, k, paths));
            }
            double ratio = grainFps / engineFps;
            stdout.WriteLine($"{n,8}  {engineFps,10:F1}  {grainFps,10:F1}  {ratio,5:P0}");
            md.AppendLine(CultureInfo.InvariantCulture, $"| {n} | {n * steps} | {engineFps:F1} | {grainFps:F1} | {ratio:P0} | {1 - ratio:P0} |");
        }
        return md.ToString();
    }

    private static double Engine(ModelWeights weights, int threads, RgbImage[] inputs, IReadOnlyList<Pose> inputPoses, Intrinsics k, IReadOnlyList<Pose>[] paths)
    {
        using var model = ModelLoading.Create(weights, threads, CpuIsa.Auto);
        var session = new LocalWorldSession(model, new SpatialMemory(), k, 1);
        for (int i = 0; i < inputs.Length; i++) session.AddInputFrame(inputs[i], inputPoses[i]);
        for (int i = 0; i < 3; i++) model.Render(inputPoses[0], k, [], (ulong)i); // warm-up
        var clock = Stopwatch.StartNew();
        int total = 0;
        for (int s = 0; s < paths[0].Count; s++)
            foreach (var path in paths) { session.Step(path[s]); total++; }
        return total / clock.Elapsed.TotalSeconds;
    }

    private static double ThroughGrains(ModelWeights weights, int threads, RgbImage[] inputs, IReadOnlyList<Pose> inputPoses, Intrinsics k, IReadOnlyList<Pose>[] paths)
    {
        string data = Path.Combine(Path.GetTempPath(), $"rtfm-bench-{Environment.ProcessId}-{paths.Length}");
        try
        {
            using var silo = new SiloFrameSource(weights, null, data, threads, TextWriter.Null);
            silo.Start(inputs, inputPoses, k);
            var sessions = paths.Select((_, i) => silo.OpenSession($"bench-{i}")).ToArray();
            var clock = Stopwatch.StartNew();
            var tasks = paths.Select((path, i) => Task.Run(async () =>
            {
                for (int s = 0; s < path.Count; s++) await sessions[i].StepAsync(new StepRequest(s, path[s].ToDto()));
            })).ToArray();
            Task.WaitAll(tasks);
            // What the sessions kept is written behind: the clock runs until it is all stored.
            Task.WaitAll(sessions.Select(s => s.FlushAsync()).ToArray());
            return paths.Sum(p => p.Count) / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
        }
    }
}
