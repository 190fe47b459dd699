// An in-process, pose-indexed frame memory: the world's frames, each with its KV block. New
// views retrieve at most K frames from it; a generated frame is written back only when no
// stored frame is within the novelty threshold of its pose, so memory grows with explored
// space, not with session length. The platform's tile grains shard the same policy.
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;

namespace Rtfm.Model.Memory;

/// <summary>A frame in memory: where it was seen from, its pixels and its KV block.</summary>
public sealed record StoredFrame(string Id, Pose Pose, RgbImage Image, KvBlock Block, bool Generated);

public sealed class SpatialMemory
{
    /// <summary>
    /// Default novelty threshold in retrieval-score units (~0.25 m, or ~41 degrees of turn):
    /// below it a stored frame already shows what a new frame would, so storing it adds cost,
    /// not information.
    /// </summary>
    public const float DefaultNoveltyThreshold = 0.25f;

    private readonly List<StoredFrame> _frames = [];
    private readonly List<MemoryFrame> _index = [];
    private readonly Dictionary<string, StoredFrame> _byId = new(StringComparer.Ordinal);

    public SpatialMemory(float noveltyThreshold = DefaultNoveltyThreshold, RetrievalOptions? retrieval = null)
    {
        if (!(noveltyThreshold >= 0)) throw new ArgumentOutOfRangeException(nameof(noveltyThreshold), $"novelty threshold {noveltyThreshold} must be >= 0");
        NoveltyThreshold = noveltyThreshold;
        Retrieval = retrieval ?? RetrievalOptions.Default;
    }

    public float NoveltyThreshold { get; }

    public RetrievalOptions Retrieval { get; }

    public int Count => _frames.Count;

    public IReadOnlyList<StoredFrame> Frames => _frames;

    public long KvBytes => _frames.Sum(f => f.Block.Bytes);

    public void Add(StoredFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        frame.Pose.EnsureValid(nameof(frame));
        if (!_byId.TryAdd(frame.Id, frame)) throw new ArgumentException($"memory already holds a frame with id '{frame.Id}'", nameof(frame));
        _frames.Add(frame);
        _index.Add(new MemoryFrame(frame.Id, frame.Pose));
    }

    /// <summary>True when no stored frame lies within the novelty threshold of <paramref name="pose"/>.</summary>
    public bool IsNovel(in Pose pose)
    {
        var nearest = SpatialRetrieval.Retrieve(pose, _index, 1, Retrieval);
        return nearest.Count == 0 || nearest[0].Score >= NoveltyThreshold;
    }

    /// <summary>A stored frame taken from exactly <paramref name="pose"/> (same bits), if any.</summary>
    public StoredFrame? FindExact(in Pose pose)
    {
        foreach (var f in _frames)
            if (f.Pose.Position.Equals(pose.Position) && f.Pose.Rotation.Equals(pose.Rotation)) return f;
        return null;
    }

    /// <summary>The at most <paramref name="k"/> frames that best match <paramref name="pose"/>, best first.</summary>
    public IReadOnlyList<StoredFrame> Retrieve(in Pose pose, int k)
    {
        var picked = SpatialRetrieval.Retrieve(pose, _index, k, Retrieval);
        var result = new StoredFrame[picked.Count];
        for (int i = 0; i < picked.Count; i++) result[i] = _byId[picked[i].Frame.Id];
        return result;
    }
}
