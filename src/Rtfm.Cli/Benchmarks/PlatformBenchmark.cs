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

    /// <summary>Warm-up steps of the silo (a walk of its own): code run once per kept frame (a third of the
    /// steps) gets past tiered compilation's 30 calls too.</summary>
    private const int SiloWarmUpSteps = 96;

    private static readonly TimeSpan JitQuiet = TimeSpan.FromMilliseconds(500), JitLimit = TimeSpan.FromSeconds(15);

    public static string Run(int threads, int frames, int rounds, IReadOnlyList<int> sessionCounts, TextWriter stdout)
    {
        var weights = ModelWeights.RandomInit(ModelConfig.Tiny, 1);
        var scene = SceneGenerator.Generate(SceneSeed);
        var k = scene.DefaultIntrinsics(weights.Config.ImageWidth, weights.Config.ImageHeight);
        var inputPoses = Trajectories.Walk(scene, InputFrames, SceneSeed);
        var inputs = inputPoses.Select(p => RayTracer.Render(scene, p, k)).ToArray();
        var md = new StringBuilder();
        md.AppendLine(threads == 0
            ? $"## Platform (`rtfm bench platform`: engine threads = cores = {Environment.ProcessorCount})"
            : $"## Platform (`rtfm bench platform --threads {threads}`: the engine leaves {Math.Max(0, Environment.ProcessorCount - threads)} of {Environment.ProcessorCount} cores to the rest)");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Concurrent sessions, {frames} steps a round in all (1 session: a {frames}-step random walk; n sessions: n walks of {frames} / n steps, so every count is timed over the same work), in scene {SceneSeed} (world from {InputFrames} posed frames, tiny config, random weights: the same work as trained ones), through world + session grains on an in-process silo vs the engine alone running the same steps in one loop. The silo renders one frame at a time, so equal throughput is the ideal. The grains' clock runs until every session has flushed what it kept (write-behind included). Each session count has one silo, started once and warmed by a {SiloWarmUpSteps}-step walk of its own, and one engine-alone model; every round starts from a fresh world made of the same posed frames, once the previous round's tiles have written their cached views and the JIT has compiled nothing for {JitQuiet.TotalSeconds:F1} s: a long-running silo's steady state, not its start-up. Best of {rounds} alternating rounds each (this VM's speed swings between identical runs).");
        md.AppendLine();
        md.AppendLine("CPU ms/frame is the process's CPU time (all threads) per frame: it counts the platform's extra work even when other load on the machine makes wall-clock rates swing.");
        md.AppendLine();
        md.AppendLine("| sessions | steps | engine alone frames/s | grains frames/s | grains / engine | overhead | engine CPU ms/frame | grains CPU ms/frame | CPU overhead |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        stdout.WriteLine("sessions  engine fps  grains fps  ratio   engine cpu ms  grains cpu ms");
        var whereCpu = new StringBuilder();
        // One silo and one engine-alone model per session count, each round on a fresh world: the
        // steady state of a long-running silo. A new silo per round measured its start-up too (its
        // DI and serialiser code compiled in the round: up to 2.6 ms of JIT a frame). The silos' data
        // directories are deleted at the end of the run, not between rounds: on ext4, files created
        // within a minute of a mass delete pay for scanning past the deleted inodes (docs/pitfalls.md),
        // a cost of the benchmark's clean-up that a long-running silo does not have.
        var dataRoot = Path.Combine(Path.GetTempPath(), $"rtfm-bench-{Environment.ProcessId}");
        try
        {
            foreach (int n in sessionCounts)
            {
                int steps = Math.Max(1, frames / n);
                var paths = Enumerable.Range(0, n).Select(i => Trajectories.RandomWalk(scene, steps, 100 + i)).ToArray();
                EngineRun? bestEngine = null;
                GrainRun? bestGrains = null;
                double engineCpu = double.MaxValue, grainCpu = double.MaxValue;
                using var model = ModelLoading.Create(weights, threads, CpuIsa.Auto);
                using var silo = new SiloFrameSource(weights, null, Path.Combine(dataRoot, $"sessions-{n}"), threads, TextWriter.Null, Trajectories.RandomWalk(scene, SiloWarmUpSteps, 99));
                silo.Start(inputs, inputPoses, k);
                SettleTiles();
                for (int r = 0; r < rounds; r++)
                {
                    var e = Engine(model, inputs, inputPoses, k, paths);
                    var g = ThroughGrains(silo, $"bench-{r}", inputs, inputPoses, k, paths);
                    SettleTiles();
                    if (bestEngine is null || e.Fps > bestEngine.Fps) bestEngine = e;
                    if (bestGrains is null || g.Fps > bestGrains.Fps) bestGrains = g;
                    engineCpu = Math.Min(engineCpu, e.CpuMs);
                    grainCpu = Math.Min(grainCpu, g.CpuMs);
                }
                double engineFps = bestEngine!.Fps, grainFps = bestGrains!.Fps, ratio = grainFps / engineFps;
                stdout.WriteLine($"{n,8}  {engineFps,10:F1}  {grainFps,10:F1}  {ratio,5:P0}   {engineCpu,13:F1}  {grainCpu,13:F1}   {bestGrains.Breakdown}; {bestEngine.Describe()}");
                stdout.WriteLine($"          grains CPU ms/frame by thread: {bestGrains.Threads}");
                whereCpu.AppendLine(CultureInfo.InvariantCulture, $"| {n} | {bestEngine.MsPerFrame:F1} ms/frame; rtfm-cpu involuntary switches/frame {bestEngine.Involuntary:F1} | {bestGrains.EngineBusy} | {bestGrains.Threads} |");
                md.AppendLine(CultureInfo.InvariantCulture, $"| {n} | {n * steps} | {engineFps:F1} | {grainFps:F1} | {ratio:P0} | {1 - ratio:P0} | {engineCpu:F1} | {grainCpu:F1} | {grainCpu / engineCpu - 1:P0} |");
            }
        }
        finally
        {
            if (Directory.Exists(dataRoot)) Directory.Delete(dataRoot, recursive: true);
        }
        md.AppendLine();
        md.AppendLine("Where the time went, in the best round of each peer: the engine alone's render + encode ms per frame; the silo's engine thread, its busy share of the clock and its render + encode ms per frame (queueing excluded); the grains process's CPU ms per frame by thread (rtfm-engine and rtfm-cpu-* are the engine, rtfm-background the write-behind at idle priority, .NET TP Worker the grains and messaging) and the engine threads' context switches per frame (involuntary: preempted or yielded to another thread).");
        md.AppendLine();
        md.AppendLine("| sessions | engine alone | silo's engine thread | grains: CPU ms/frame by thread; engine threads' switches/frame |");
        md.AppendLine("|---:|---|---|---|");
        md.Append(whereCpu);
        return md.ToString();
    }

    /// <summary>Tiles write their cached views within ViewWriteDelay of a session's last step: that work
    /// belongs to the round that made it, so neither peer's next round starts before it is done.</summary>
    private static void SettleTiles() => Thread.Sleep(SpatialTileGrain.ViewWriteDelay + TimeSpan.FromMilliseconds(500));

    private static TimeSpan Cpu() => Process.GetCurrentProcess().TotalProcessorTime;

    /// <summary>One round of the engine alone: rates, its render + encode time and its worker threads' context switches per frame.</summary>
    private sealed record EngineRun(double Fps, double CpuMs, double MsPerFrame, double Involuntary, double Voluntary, double AllocatedMiB)
    {
        public string Describe() => string.Create(CultureInfo.InvariantCulture,
            $"engine alone {MsPerFrame:F1} ms/frame render+encode, rtfm-cpu switches/frame involuntary {Involuntary:F1} voluntary {Voluntary:F1}; engine alone allocated {AllocatedMiB:F1} MiB/step");
    }

    /// <summary>One round through the grains: rates, where a step's time went, CPU by thread, and the silo's engine thread.</summary>
    private sealed record GrainRun(double Fps, double CpuMs, string Breakdown, string Threads, string EngineBusy);

    private static EngineRun Engine(RtfmModel model, RgbImage[] inputs, IReadOnlyList<Pose> inputPoses, Intrinsics k, IReadOnlyList<Pose>[] paths)
    {
        var session = new LocalWorldSession(model, new SpatialMemory(), k, 1);
        for (int i = 0; i < inputs.Length; i++) session.AddInputFrame(inputs[i], inputPoses[i]);
        for (int i = 0; i < 3; i++) model.Render(inputPoses[0], k, [], (ulong)i); // warm-up
        JitSettling.Wait(JitQuiet, JitLimit);
        var cpu = Cpu();
        long allocated = GC.GetTotalAllocatedBytes();
        var threads0 = ThreadCpu.Snapshot();
        var clock = Stopwatch.StartNew();
        int total = 0;
        double busy = 0;
        for (int s = 0; s < paths[0].Count; s++)
            foreach (var path in paths) { var st = session.Step(path[s]); busy += st.RenderMilliseconds + st.EncodeMilliseconds; total++; }
        double fps = total / clock.Elapsed.TotalSeconds, cpuMs = (Cpu() - cpu).TotalMilliseconds / total;
        var (involuntary, voluntary) = ThreadCpu.Switches(threads0, ThreadCpu.Snapshot(), "rtfm-cpu", total);
        return new EngineRun(fps, cpuMs, busy / total, involuntary, voluntary, (GC.GetTotalAllocatedBytes() - allocated) / 1048576.0 / total);
    }

    private static GrainRun ThroughGrains(SiloFrameSource silo, string worldId, RgbImage[] inputs, IReadOnlyList<Pose> inputPoses, Intrinsics k, IReadOnlyList<Pose>[] paths)
    {
        silo.CreateWorld(worldId, inputs, inputPoses, k);
        var sessions = paths.Select((_, i) => silo.OpenSession($"{worldId}-session-{i}", worldId)).ToArray();
        JitSettling.Wait(JitQuiet, JitLimit);
        var cpu = Cpu();
        long allocated = GC.GetTotalAllocatedBytes();
        int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
        var usage0 = silo.EngineUsage;
        var threads0 = ThreadCpu.Snapshot();
        var clock = Stopwatch.StartNew();
        var results = new System.Collections.Concurrent.ConcurrentBag<StepResult>();
        var tasks = paths.Select((path, i) => Task.Run(async () =>
        {
            for (int s = 0; s < path.Count; s++) results.Add(await sessions[i].StepAsync(new StepRequest(s, path[s].ToDto())));
        })).ToArray();
        Task.WaitAll(tasks);
        var rendered = results.Where(r => !r.FromMemory).ToArray();
        string breakdown = rendered.Length == 0 ? "" : $"in the silo per rendered step: {rendered.Average(r => r.TotalMilliseconds):F1} ms of which render {rendered.Average(r => r.RenderMilliseconds):F1} ms; {results.Count(r => r.WrittenBack)} kept, {results.Count(r => r.FromMemory)} from memory; allocated {(GC.GetTotalAllocatedBytes() - allocated) / 1048576.0 / results.Count:F1} MiB/step, GCs gen0 {GC.CollectionCount(0) - gen0} gen2 {GC.CollectionCount(2) - gen2}";
        // What the sessions kept is written behind: the clock runs until it is all stored.
        Task.WaitAll(sessions.Select(s => s.FlushAsync()).ToArray());
        int total = paths.Sum(p => p.Count);
        double fps = total / clock.Elapsed.TotalSeconds, cpuMs = (Cpu() - cpu).TotalMilliseconds / total;
        var usage1 = silo.EngineUsage;
        var threads1 = ThreadCpu.Snapshot();
        var worker = ThreadCpu.Switches(threads0, threads1, "rtfm-cpu", total);
        var caller = ThreadCpu.Switches(threads0, threads1, "rtfm-engine", total);
        string threadCpu = $"{ThreadCpu.PerFrame(threads0, threads1, total)}; rtfm-cpu switches/frame involuntary {worker.Involuntary:F1} voluntary {worker.Voluntary:F1}; rtfm-engine inv {caller.Involuntary:F1} vol {caller.Voluntary:F1}";
        string engineBusy = $"busy {(usage1.Busy - usage0.Busy) / clock.Elapsed:P0}, {(usage1.Busy - usage0.Busy).TotalMilliseconds / total:F1} ms/frame";
        return new GrainRun(fps, cpuMs, $"{breakdown}; engine {engineBusy} over {usage1.Requests - usage0.Requests} requests", threadCpu, engineBusy);
    }
}
