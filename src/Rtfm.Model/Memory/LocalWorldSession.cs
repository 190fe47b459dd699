// The render loop of one session over an in-process world: a view from exactly a stored pose
// is served from memory; otherwise retrieve at most K nearby frames, render the new view from
// their KV blocks (noise seeded by world seed + pose), and write the frame back if it is novel. The grains
// of the platform run the same steps distributed; this is the single-process form used by
// the CLI, the tests and the benchmarks.
using System.Diagnostics;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;

namespace Rtfm.Model.Memory;

/// <summary>What one step did, for timings and the bounded-cost proof.</summary>
public sealed record SessionStep(int Index, RgbImage Frame, IReadOnlyList<string> ContextIds, bool WrittenBack, bool FromMemory, double RenderMilliseconds, double EncodeMilliseconds);

public sealed class LocalWorldSession
{
    private readonly RtfmModel _model;
    private readonly Intrinsics _intrinsics;
    private readonly ulong _seed;
    private int _step;

    public LocalWorldSession(RtfmModel model, SpatialMemory memory, Intrinsics intrinsics, ulong seed)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        Memory = memory ?? throw new ArgumentNullException(nameof(memory));
        _intrinsics = intrinsics;
        _seed = seed;
    }

    public SpatialMemory Memory { get; }

    /// <summary>Adds a posed input image (the world's seed frames) to memory.</summary>
    public StoredFrame AddInputFrame(RgbImage image, in Pose pose)
    {
        var block = _model.Encode(image, pose, _intrinsics);
        var frame = new StoredFrame($"input-{Memory.Count:D6}", pose, image, block, Generated: false);
        Memory.Add(frame);
        return frame;
    }

    /// <summary>Renders the next view.</summary>
    public SessionStep Step(in Pose pose)
    {
        pose.EnsureValid(nameof(pose));
        int index = _step++;
        if (Memory.FindExact(pose) is { } hit)
            return new SessionStep(index, hit.Image, [hit.Id], WrittenBack: false, FromMemory: true, 0, 0);
        var context = Memory.Retrieve(pose, _model.Config.ContextFrames);
        var blocks = new KvBlock[context.Count];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = context[i].Block;
        ulong frameSeed = FrameSeeds.For(_seed, pose);
        long t0 = Stopwatch.GetTimestamp();
        var frame = _model.Render(pose, _intrinsics, blocks, frameSeed);
        double renderMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        bool write = Memory.IsNovel(pose);
        double encodeMs = 0;
        if (write)
        {
            long t1 = Stopwatch.GetTimestamp();
            var block = _model.Encode(frame, pose, _intrinsics);
            encodeMs = Stopwatch.GetElapsedTime(t1).TotalMilliseconds;
            Memory.Add(new StoredFrame($"gen-{index:D6}", pose, frame, block, Generated: true));
        }
        return new SessionStep(index, frame, context.Select(c => c.Id).ToArray(), write, FromMemory: false, renderMs, encodeMs);
    }
}
