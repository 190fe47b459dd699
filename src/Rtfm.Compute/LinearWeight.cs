// A linear layer's weight prepared by a backend for its GEMM: y (M, N) = x (M, K) * W (K, N) + b (N).
// Each backend packs W its own way once at load (panels for the CPU engine, bf16 for CUDA).
namespace Rtfm.Compute;

public abstract class LinearWeight
{
    protected LinearWeight(int inFeatures, int outFeatures, bool hasBias)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        HasBias = hasBias;
    }

    /// <summary>K: the input width.</summary>
    public int InFeatures { get; }

    /// <summary>N: the output width.</summary>
    public int OutFeatures { get; }

    public bool HasBias { get; }
}
