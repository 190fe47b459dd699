// The op set of the RTFM-tiny model (docs/model.md). Every backend — the plain reference, the
// CPU engine, the CUDA backend — implements exactly this interface and passes one conformance
// suite (tests/Rtfm.Compute.Tests). Ops are enqueued in call order; Download waits for them.
using Rtfm.Core.Geometry;

namespace Rtfm.Compute;

public interface IComputeBackend : IDisposable
{
    /// <summary>Short name for logs and benchmark tables, e.g. "reference", "cpu-avx512x2".</summary>
    string Name { get; }

    /// <summary>Work counters (tokens attended, GEMM flops) accumulated since the last reset.</summary>
    OpCounters Counters { get; }

    /// <summary>A new zero-filled tensor of the given shape.</summary>
    Tensor Allocate(params int[] shape);

    void Upload(Tensor destination, ReadOnlySpan<float> source);

    void Download(Tensor source, Span<float> destination);

    /// <summary>Prepares a linear layer. <paramref name="weight"/> is (K, N) row-major; <paramref name="bias"/> is (N) or empty.</summary>
    LinearWeight PrepareLinear(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int inFeatures, int outFeatures);

    /// <summary>y (M, N) = x (M, K) · W (K, N) + b. Accumulation order over K is sequential (k = 0..K-1), one fused multiply-add per term, starting from the bias (or 0).</summary>
    void Linear(Tensor x, LinearWeight weight, Tensor y);

    /// <summary>
    /// Multi-head attention of the queries over the keys [context blocks in order ; self]:
    /// out (Tq, D) = softmax(q · kᵀ / sqrt(D/heads)) · v per head, where head h owns columns
    /// [h·D/heads, (h+1)·D/heads). Context blocks are (Tc, D) each; self keys/values are (Tq, D).
    /// </summary>
    void Attention(Tensor queries, ReadOnlySpan<KvBlockView> context, Tensor selfKeys, Tensor selfValues, Tensor output, int heads);

    /// <summary>y (T, D) = LayerNorm(x) · (1 + scale) + shift, LayerNorm without affine, biased variance, eps inside the sqrt. shift and scale are (D).</summary>
    void LayerNormModulate(Tensor x, Tensor shift, Tensor scale, Tensor y, float eps);

    /// <summary>y = GELU(x), tanh approximation: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))). In place allowed.</summary>
    void Gelu(Tensor x, Tensor y);

    /// <summary>x (T, D) += gate (D) ⊙ y (T, D), the gate broadcast over rows (adaLN-Zero residual).</summary>
    void GatedResidualAdd(Tensor x, Tensor gate, Tensor y);

    /// <summary>rays (H, W, 6) = the Plücker coordinates (d, o × d) of every pixel's ray.</summary>
    void PluckerRays(in Pose pose, in Intrinsics intrinsics, Tensor rays);

    /// <summary>
    /// tokens (T, p²·9): for each p×p patch in raster order, the patch's pixels (py, px, c=3)
    /// followed by its rays (py, px, c=6). image is (H, W, 3), rays (H, W, 6).
    /// </summary>
    void PatchifyWithRays(Tensor image, Tensor rays, int patch, Tensor tokens);

    /// <summary>image (H, W, 3) = the inverse of the pixel half of patchify: patches (T, p²·3).</summary>
    void Unpatchify(Tensor patches, int patch, Tensor image);

    /// <summary>
    /// One Euler step of the flow-matching sampler with x-prediction (docs/model.md):
    /// x ← x + (tNext − t) / (1 − t) · (xPred − x), in place on <paramref name="x"/>. At tNext = 1 this gives xPred.
    /// </summary>
    void SamplerStep(Tensor x, Tensor xPred, float t, float tNext);

    /// <summary>Copies source into destination (same length).</summary>
    void Copy(Tensor source, Tensor destination);

    /// <summary>Waits for every op enqueued so far (host backends finish each op before returning: nothing to wait for).</summary>
    void Synchronize()
    {
    }
}
