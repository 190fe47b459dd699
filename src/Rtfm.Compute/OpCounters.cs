// Work done by a backend, counted (not timed): the proof that a frame's cost is bounded by
// the retrieval budget however large the world's memory is.
namespace Rtfm.Compute;

public sealed class OpCounters
{
    /// <summary>Sum over attention calls of queries × keys × heads (score entries computed).</summary>
    public long AttentionScores { get; private set; }

    /// <summary>Sum over attention calls of the number of keys each query attended (context + self).</summary>
    public long KeysAttended { get; private set; }

    /// <summary>2·M·N·K summed over Linear calls.</summary>
    public long GemmFlops { get; private set; }

    public long LinearCalls { get; private set; }

    public long AttentionCalls { get; private set; }

    public void AddAttention(int queries, int keys, int heads)
    {
        AttentionCalls++;
        KeysAttended += keys;
        AttentionScores += (long)queries * keys * heads;
    }

    public void AddLinear(int m, int k, int n)
    {
        LinearCalls++;
        GemmFlops += 2L * m * k * n;
    }

    public void Reset()
    {
        AttentionScores = KeysAttended = GemmFlops = LinearCalls = AttentionCalls = 0;
    }

    public OpCountersSnapshot Snapshot() => new(AttentionScores, KeysAttended, GemmFlops, LinearCalls, AttentionCalls);
}

public readonly record struct OpCountersSnapshot(long AttentionScores, long KeysAttended, long GemmFlops, long LinearCalls, long AttentionCalls);
