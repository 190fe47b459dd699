// The spatial-memory policy as a pure function ("context juggling"): pick at most K stored
// posed frames to condition a render on. Score (lower is better):
//   score = |p_target - p_frame| / DistanceScale + DirectionWeight * (1 - cos angle(forward_t, forward_f)) / 2
// so a frame 1 DistanceScale away looking the same way costs 1, and one at the same place
// looking the opposite way costs DirectionWeight. Ties break by id (ordinal), so the choice is
// deterministic whatever the candidate order. Cost is O(N log K) time for N candidates and
// the render's cost depends on K only, never on N.
using Rtfm.Core.Geometry;

namespace Rtfm.Model.Memory;

/// <summary>A stored frame as retrieval sees it: an id and the pose it was taken from.</summary>
public readonly record struct MemoryFrame(string Id, Pose Pose);

/// <param name="DistanceScale">Metres that cost 1.</param>
/// <param name="DirectionWeight">Cost of looking the opposite way.</param>
/// <param name="MaxScore">Frames scoring above this are never used (too far to help).</param>
public sealed record RetrievalOptions(float DistanceScale = 1.0f, float DirectionWeight = 2.0f, float MaxScore = float.PositiveInfinity)
{
    public static RetrievalOptions Default { get; } = new();
}

public readonly record struct ScoredFrame(MemoryFrame Frame, float Score);

public static class SpatialRetrieval
{
    public static float Score(in Pose target, in Pose frame, RetrievalOptions options)
    {
        var dp = target.Position - frame.Position;
        float dist = MathF.Sqrt(dp.X * dp.X + dp.Y * dp.Y + dp.Z * dp.Z);
        var ft = target.Forward;
        var ff = frame.Forward;
        float cos = Math.Clamp(ft.X * ff.X + ft.Y * ff.Y + ft.Z * ff.Z, -1f, 1f);
        return dist / options.DistanceScale + options.DirectionWeight * (1f - cos) * 0.5f;
    }

    /// <summary>The best (lowest-score) at most <paramref name="k"/> candidates, best first.</summary>
    public static IReadOnlyList<ScoredFrame> Retrieve(in Pose target, IEnumerable<MemoryFrame> candidates, int k, RetrievalOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), $"K = {k} must be >= 0");
        target.EnsureValid(nameof(target));
        options ??= RetrievalOptions.Default;
        if (k == 0) return [];
        var best = new List<ScoredFrame>(k + 1);
        foreach (var c in candidates)
        {
            float s = Score(target, c.Pose, options);
            if (!(s <= options.MaxScore)) continue; // also drops NaN scores from invalid stored poses
            var item = new ScoredFrame(c, s);
            if (best.Count == k && Compare(item, best[^1]) >= 0) continue;
            int at = best.Count;
            while (at > 0 && Compare(item, best[at - 1]) < 0) at--;
            best.Insert(at, item);
            if (best.Count > k) best.RemoveAt(best.Count - 1);
        }
        return best;
    }

    private static int Compare(in ScoredFrame a, in ScoredFrame b)
    {
        int c = a.Score.CompareTo(b.Score);
        return c != 0 ? c : string.CompareOrdinal(a.Frame.Id, b.Frame.Id);
    }
}
