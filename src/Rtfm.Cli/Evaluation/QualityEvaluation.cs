// The evaluation behind `rtfm eval`, on held-out procedural scenes (the TEST split's seeds,
// never seen in training), with the same camera paths and frame count as the datasets:
// - reconstruction: the K best frames of the scene by retrieval score, the target excluded;
// - revisit: the same, the target's own frame included (the model's own figure: the platform
//   could serve an exact revisit from memory, but every near revisit is the model's);
// - generation from one image: a walk, the model given one frame, targets 1..8 steps ahead;
// - persistence: an out-and-back loop rendered autoregressively from one ground-truth frame,
//   with the spatial memory vs a sliding window of the last K frames, comparing the return
//   frames with the outbound frames at the same poses (every frame rendered by the model);
// - cost: the work of one render counted at frame 10 and frame 10 000 of a session.
// Baselines beside every figure: the nearest context frame, that frame blurred, and the mean of
// the context frames.
using System.Diagnostics;
using Rtfm.Cli.Rendering;
using Rtfm.Compute;
using Rtfm.Compute.Cpu;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;
using Rtfm.Core.Numerics;
using Rtfm.Model;
using Rtfm.Model.Memory;
using Rtfm.Model.Weights;
using Rtfm.Scenes;
using Rtfm.Scenes.Datasets;

namespace Rtfm.Cli.Evaluation;

internal sealed record EvalOptions(
    string? WeightsPath, int Scenes, int Targets, int FramesPerScene, int GenerationSources, int LoopFrames,
    int SessionFrames, string OutputDirectory, string DocPath, bool Quick, int Threads, string CommandLine);

internal sealed record GenerationMove(int Steps, Comparison Scores, double MeanDistance, double MeanTurnDegrees);

internal sealed record PersistenceResult(
    int Frames, string Scene, double[] MemoryVsTruth, double[] WindowVsTruth, double[] MemoryReturnVsOutbound, double[] WindowReturnVsOutbound,
    int Pairs, int MemoryIdenticalPairs, int WindowIdenticalPairs, int MemoryFrames, int ContextFrames)
{
    /// <summary>
    /// Pair PSNRs are capped here (identical pairs would be +inf): about the PSNR of 8-bit
    /// rounding noise, so the cap only hides differences no PNG can show.
    /// </summary>
    public const double PsnrCap = 60;

    public double MemoryPairPsnr => MemoryReturnVsOutbound.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
    public double WindowPairPsnr => WindowReturnVsOutbound.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
}

internal sealed record CostPoint(int Frame, int MemoryFrames, OpCountersSnapshot Work, double RenderMilliseconds, double RetrievalMicroseconds);

internal sealed record CostResult(CostPoint Early, CostPoint Late, int GatedMemoryFrames, int SessionFrames)
{
    public bool Flat => Early.Work.KeysAttended == Late.Work.KeysAttended && Early.Work.AttentionScores == Late.Work.AttentionScores
        && Early.Work.GemmFlops == Late.Work.GemmFlops && Early.Work.LinearCalls == Late.Work.LinearCalls;
}

internal sealed record EvalResult(
    EvalOptions Options, ModelCard Card, IReadOnlyList<string> SceneNames, Comparison Reconstruction,
    IReadOnlyDictionary<TrajectoryKind, Comparison> ReconstructionByPath, Comparison Revisit,
    IReadOnlyList<GenerationMove> Generation, PersistenceResult Persistence, CostResult Cost, double Seconds, int CoreCount,
    string ContactSheetPath, string LoopPlotPath, string LoopFramesPath);

internal static class QualityEvaluation
{
    /// <summary>Standard deviation, in pixels, of the blur of the "blurred nearest" baseline.</summary>
    public const double BlurSigma = 1.5;

    /// <summary>World seed of every render: a frame's noise is FrameSeeds.For(seed, pose), as on the platform.</summary>
    private const ulong WorldSeed = 1;

    /// <summary>Generation targets: this many walk steps (0.15 m each) ahead of the one given frame.</summary>
    public static readonly int[] GenerationSteps = [1, 2, 4, 8];

    /// <summary>Walk steps between the sources of generation on one scene.</summary>
    private const int GenerationSpacing = 4;

    public static EvalResult Run(EvalOptions o, TextWriter stdout, TextWriter stderr)
    {
        var clock = Stopwatch.StartNew();
        var weights = ModelLoading.LoadWeights(o.WeightsPath);
        stdout.WriteLine($"model:  {weights.Card.Summary}");
        if (!weights.Card.Trained)
            stdout.WriteLine("        UNTRAINED: no trained weights were found; the figures below describe noise, not renderings.");
        using var model = ModelLoading.Create(weights, o.Threads, CpuIsa.Auto);
        var cfg = model.Config;
        Directory.CreateDirectory(o.OutputDirectory);

        var recon = new Comparison();
        var reconByPath = new SortedDictionary<TrajectoryKind, Comparison>();
        var revisit = new Comparison();
        var moves = GenerationSteps.Select(_ => (Scores: new Comparison(), Distance: new List<double>(), Turn: new List<double>())).ToArray();
        var sheetGroups = new List<IReadOnlyList<RgbImage>>();
        var sceneNames = new List<string>();
        int perScene = Math.Max(1, 8 / o.Scenes);
        var progress = ConsoleProgress.For(stderr, "scenes", o.Scenes);
        for (int s = 0; s < o.Scenes; s++)
        {
            int seed = PosedDataset.SeedBase(DatasetSplit.Test) + s;
            var scene = SceneGenerator.Generate(seed);
            sceneNames.Add(scene.Name);
            var k = scene.DefaultIntrinsics(cfg.ImageWidth, cfg.ImageHeight);
            var kind = PosedDataset.TrajectoryFor(seed);
            var poses = Trajectories.Create(kind, scene, o.FramesPerScene, seed);
            if (!reconByPath.TryGetValue(kind, out var byPath)) reconByPath[kind] = byPath = new Comparison();
            var gt = poses.Select(p => RayTracer.Render(scene, p, k, o.Threads)).ToArray();
            var blocks = gt.Select((f, i) => model.Encode(f, poses[i], k)).ToArray();
            var index = poses.Select((p, i) => new MemoryFrame(i.ToString("D5"), p)).ToArray();
            var targets = PickTargets(o.Targets, poses.Count, seed);
            for (int t = 0; t < targets.Length; t++)
            {
                int j = targets[t];
                // Reconstruction: the K best other frames.
                var ctx = SpatialRetrieval.Retrieve(poses[j], index.Where(f => f.Id != index[j].Id), cfg.ContextFrames)
                    .Select(f => int.Parse(f.Frame.Id, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                var (frame, nearest, blurred, mean) = RenderWithBaselines(model, poses[j], k, ctx, gt, blocks);
                recon.Add(gt[j], frame, nearest, blurred, mean);
                byPath.Add(gt[j], frame, nearest, blurred, mean);
                if (t < perScene && sheetGroups.Count < 8) sheetGroups.Add([gt[j], frame, nearest, blurred]);

                // Revisit: the target's own frame is among the K.
                var rctx = SpatialRetrieval.Retrieve(poses[j], index, cfg.ContextFrames)
                    .Select(f => int.Parse(f.Frame.Id, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                if (!rctx.Contains(j)) rctx[^1] = j;
                var r = RenderWithBaselines(model, poses[j], k, rctx, gt, blocks);
                revisit.Add(gt[j], r.Frame, r.Nearest, r.Blurred, r.Mean);
            }
            Generation(model, scene, seed, o, k, moves);
            progress.Report(s + 1);
        }

        var (persistence, loopGroups) = Persistence(model, o, stderr);
        var cost = Cost(model, o);

        string sheetPath = Path.Combine(o.OutputDirectory, "contact-sheet.png");
        PngCodec.Write(ContactSheet.BuildGroups(sheetGroups, ["truth", "model", "nearest", "blurred"], columns: 2, scale: 2), sheetPath);
        string plotPath = Path.Combine(o.OutputDirectory, "loop-psnr.png");
        PngCodec.Write(LoopPlot(persistence), plotPath);
        string loopFramesPath = Path.Combine(o.OutputDirectory, "loop-frames.png");
        PngCodec.Write(ContactSheet.BuildGroups(loopGroups, ["truth", "mem out", "mem back", "win out", "win back"], columns: 1, scale: 2), loopFramesPath);

        var generation = GenerationSteps.Select((n, i) => new GenerationMove(n, moves[i].Scores, moves[i].Distance.Average(), moves[i].Turn.Average())).ToArray();
        return new EvalResult(o, weights.Card, sceneNames, recon, reconByPath, revisit, generation, persistence, cost,
            clock.Elapsed.TotalSeconds, Environment.ProcessorCount, sheetPath, plotPath, loopFramesPath);
    }

    /// <summary>Distinct target frames of a scene, seeded by the scene, in increasing order.</summary>
    private static int[] PickTargets(int count, int frames, int seed)
    {
        var rng = DeterministicRandom.ForStream((ulong)seed, 77);
        var order = Enumerable.Range(0, frames).ToArray();
        for (int i = frames - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order.Take(Math.Min(count, frames)).Order().ToArray();
    }

    private static (RgbImage Frame, RgbImage Nearest, RgbImage Blurred, RgbImage Mean) RenderWithBaselines(
        RtfmModel model, Pose pose, Intrinsics k, int[] context, RgbImage[] gt, KvBlock[] blocks)
    {
        var frame = model.Render(pose, k, context.Select(i => blocks[i]).ToArray(), FrameSeeds.For(WorldSeed, pose));
        var nearest = gt[context[0]]; // retrieval order: best first
        return (frame, nearest, ImageFilters.GaussianBlur(nearest, BlurSigma), ImageFilters.Mean(context.Select(i => gt[i]).ToArray()));
    }

    /// <summary>One frame of a walk given; targets a few steps ahead. All baselines are that one frame (blurred or not).</summary>
    private static void Generation(RtfmModel model, Scene scene, int seed, EvalOptions o, Intrinsics k,
        (Comparison Scores, List<double> Distance, List<double> Turn)[] moves)
    {
        int walkFrames = (o.GenerationSources - 1) * GenerationSpacing + GenerationSteps.Max() + 1;
        var walk = Trajectories.Walk(scene, walkFrames, seed);
        var gt = walk.Select(p => RayTracer.Render(scene, p, k, o.Threads)).ToArray();
        for (int src = 0; src < o.GenerationSources; src++)
        {
            int a = src * GenerationSpacing;
            var block = model.Encode(gt[a], walk[a], k);
            var blurred = ImageFilters.GaussianBlur(gt[a], BlurSigma);
            for (int m = 0; m < GenerationSteps.Length; m++)
            {
                int b = a + GenerationSteps[m];
                var frame = model.Render(walk[b], k, [block], FrameSeeds.For(WorldSeed, walk[b]));
                moves[m].Scores.Add(gt[b], frame, gt[a], blurred, gt[a]);
                moves[m].Distance.Add(Vector(walk[b].Position - walk[a].Position));
                double cos = Math.Clamp(System.Numerics.Vector3.Dot(walk[a].Forward, walk[b].Forward), -1f, 1f);
                moves[m].Turn.Add(Math.Acos(cos) * 180 / Math.PI);
            }
        }

        static double Vector(System.Numerics.Vector3 v) => v.Length();
    }

    /// <summary>
    /// The out-and-back loop, every frame rendered by the model (no exact-pose shortcut), from one
    /// ground-truth frame at the start pose. Memory: retrieve K from the spatial memory, write a
    /// frame back when novel. Window: the K most recent frames.
    /// </summary>
    private static (PersistenceResult Result, IReadOnlyList<IReadOnlyList<RgbImage>> Strip) Persistence(RtfmModel model, EvalOptions o, TextWriter stderr)
    {
        var cfg = model.Config;
        int seed = PosedDataset.SeedBase(DatasetSplit.Test);
        var scene = SceneGenerator.Generate(seed);
        var k = scene.DefaultIntrinsics(cfg.ImageWidth, cfg.ImageHeight);
        var poses = Trajectories.OutAndBack(scene, o.LoopFrames, seed);
        int n = poses.Count, half = (n + 1) / 2;
        var progress = ConsoleProgress.For(stderr, "loop", 3 * n);
        var gt = new RgbImage[n];
        for (int i = 0; i < half; i++)
        {
            gt[i] = RayTracer.Render(scene, poses[i], k, o.Threads);
            progress.Report(i + 1);
        }
        for (int i = half; i < n; i++) gt[i] = gt[n - 1 - i]; // the return path repeats the outbound poses
        progress.Report(n);
        var input = model.Encode(gt[0], poses[0], k);

        var memory = new SpatialMemory();
        memory.Add(new StoredFrame("input-000000", poses[0], gt[0], input, Generated: false));
        var withMemory = new RgbImage[n];
        for (int i = 0; i < n; i++)
        {
            var ctx = memory.Retrieve(poses[i], cfg.ContextFrames).Select(f => f.Block).ToArray();
            withMemory[i] = model.Render(poses[i], k, ctx, FrameSeeds.For(WorldSeed, poses[i]));
            if (memory.IsNovel(poses[i]))
                memory.Add(new StoredFrame($"gen-{i:D6}", poses[i], withMemory[i], model.Encode(withMemory[i], poses[i], k), Generated: true));
            progress.Report(n + i + 1);
        }

        var recent = new List<KvBlock> { input }; // most recent last
        var withWindow = new RgbImage[n];
        for (int i = 0; i < n; i++)
        {
            var ctx = Enumerable.Reverse(recent).Take(cfg.ContextFrames).ToArray(); // most recent first
            withWindow[i] = model.Render(poses[i], k, ctx, FrameSeeds.For(WorldSeed, poses[i]));
            recent.Add(model.Encode(withWindow[i], poses[i], k));
            if (recent.Count > cfg.ContextFrames) recent.RemoveAt(0);
            progress.Report(2 * n + i + 1);
        }

        var pairMem = new double[n];
        var pairWin = new double[n];
        Array.Fill(pairMem, double.NaN);
        Array.Fill(pairWin, double.NaN);
        int pairs = 0, identicalMem = 0, identicalWin = 0;
        for (int i = 0; i < half; i++)
        {
            int j = n - 1 - i;
            if (j <= i) continue;
            pairs++;
            pairMem[j] = Capped(ImageMetrics.Psnr(withMemory[j], withMemory[i]), ref identicalMem);
            pairWin[j] = Capped(ImageMetrics.Psnr(withWindow[j], withWindow[i]), ref identicalWin);
        }
        // Pictures: a few poses of the outbound half, each as truth, then outbound and return frames of both contexts.
        var strip = new List<IReadOnlyList<RgbImage>>();
        int shown = Math.Min(6, n / 2);
        for (int s = 0; s < shown; s++)
        {
            int i = (int)((long)s * (n / 2 - 1) / Math.Max(1, shown - 1)), j = n - 1 - i;
            strip.Add([gt[i], withMemory[i], withMemory[j], withWindow[i], withWindow[j]]);
        }
        var result = new PersistenceResult(n, scene.Name,
            Enumerable.Range(0, n).Select(i => ImageMetrics.Psnr(withMemory[i], gt[i])).ToArray(),
            Enumerable.Range(0, n).Select(i => ImageMetrics.Psnr(withWindow[i], gt[i])).ToArray(),
            pairMem, pairWin, pairs, identicalMem, identicalWin, memory.Count, cfg.ContextFrames);
        return (result, strip);

        static double Capped(double psnr, ref int identical)
        {
            if (double.IsPositiveInfinity(psnr)) identical++;
            return Math.Min(psnr, PersistenceResult.PsnrCap);
        }
    }

    /// <summary>
    /// Work of one render at frame 10 and at the last frame of a session whose every pose is kept
    /// in memory (the worst case: novelty gating off), counted by the backend's op counters. The
    /// frames share one KV block: retrieval and rendering never look inside other frames' blocks.
    /// </summary>
    private static CostResult Cost(RtfmModel model, EvalOptions o)
    {
        var cfg = model.Config;
        int seed = PosedDataset.SeedBase(DatasetSplit.Test);
        var scene = SceneGenerator.Generate(seed);
        var k = scene.DefaultIntrinsics(cfg.ImageWidth, cfg.ImageHeight);
        var path = Trajectories.RandomWalk(scene, o.SessionFrames, seed);
        var image = RayTracer.Render(scene, path[0], k, o.Threads);
        var block = model.Encode(image, path[0], k);
        var all = new SpatialMemory();
        var gated = new SpatialMemory();
        int early = Math.Min(10, o.SessionFrames);
        CostPoint? first = null;
        for (int i = 0; i < path.Count; i++)
        {
            var frame = new StoredFrame($"f{i:D6}", path[i], image, block, Generated: true);
            if (gated.IsNovel(path[i])) gated.Add(frame);
            // The render of frame i + 1 sees the memory of frames 0..i.
            if (i + 1 == early) first = Measure(early);
            if (i + 1 < path.Count) all.Add(frame);
        }
        return new CostResult(first!, Measure(path.Count), gated.Count, path.Count);

        CostPoint Measure(int frameNumber)
        {
            var target = path[frameNumber - 1];
            var retrieval = new double[5];
            IReadOnlyList<StoredFrame> picked = [];
            for (int r = 0; r < retrieval.Length; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                picked = all.Retrieve(target, cfg.ContextFrames);
                retrieval[r] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            }
            var blocks = picked.Select(p => p.Block).ToArray();
            var renders = new double[3];
            OpCountersSnapshot work = default;
            for (int r = 0; r < renders.Length; r++)
            {
                model.Backend.Counters.Reset();
                long t0 = Stopwatch.GetTimestamp();
                model.Render(target, k, blocks, FrameSeeds.For(WorldSeed, target));
                renders[r] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                work = model.Backend.Counters.Snapshot();
            }
            return new CostPoint(frameNumber, all.Count, work, renders.Order().ElementAt(1), retrieval.Order().ElementAt(2));
        }
    }

    /// <summary>Top: PSNR of every loop frame against the ground truth. Bottom: return frames against the outbound frames at the same poses.</summary>
    private static RgbImage LoopPlot(PersistenceResult p)
    {
        var xs = Enumerable.Range(0, p.Frames).Select(i => (double)i).ToArray();
        double xStep = p.Frames > 200 ? 50 : p.Frames > 40 ? 10 : 2;
        var finite = p.MemoryVsTruth.Concat(p.WindowVsTruth).Where(double.IsFinite).DefaultIfEmpty(10).ToArray();
        var top = LineChart.Draw("PSNR VS GROUND TRUTH ALONG THE OUT-AND-BACK LOOP", "FRAME", "DB",
            [new ChartSeries("SPATIAL MEMORY", LineChart.Blue, xs, p.MemoryVsTruth), new ChartSeries($"LAST {p.ContextFrames} FRAMES", LineChart.Orange, xs, p.WindowVsTruth)],
            (0, p.Frames - 1), (Math.Floor(finite.Min() / 5) * 5, Math.Ceiling(finite.Max() / 5) * 5 + (finite.Max() % 5 == 0 ? 5 : 0)), 5, xStep);
        var pairs = p.MemoryReturnVsOutbound.Concat(p.WindowReturnVsOutbound).Where(double.IsFinite).DefaultIfEmpty(10).ToArray();
        double pMax = Math.Min(PersistenceResult.PsnrCap, Math.Ceiling(pairs.Max() / 5) * 5 + 5);
        var bottom = LineChart.Draw("RETURN FRAME VS OUTBOUND FRAME AT THE SAME POSE", "FRAME", "DB",
            [new ChartSeries("SPATIAL MEMORY", LineChart.Blue, xs, p.MemoryReturnVsOutbound), new ChartSeries($"LAST {p.ContextFrames} FRAMES", LineChart.Orange, xs, p.WindowReturnVsOutbound)],
            (0, p.Frames - 1), (Math.Floor(pairs.Min() / 5) * 5, pMax), 5, xStep);
        return LineChart.Stack(top, bottom);
    }
}
