// The RTFM-tiny configuration: everything that fixes the shape of the network and its sampler.
// Saved beside the weights (model card and safetensors metadata); docs/model.md is the spec.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rtfm.Model;

/// <param name="ImageHeight">Frame height in pixels (H).</param>
/// <param name="ImageWidth">Frame width in pixels (W).</param>
/// <param name="Patch">Patch side p; a token covers p×p pixels.</param>
/// <param name="Width">Transformer width D.</param>
/// <param name="Depth">Number of transformer blocks L.</param>
/// <param name="Heads">Attention heads; D must be divisible by it.</param>
/// <param name="MlpRatio">MLP hidden width = MlpRatio · D.</param>
/// <param name="ContextFrames">K: the most context frames a render attends to (retrieval budget).</param>
/// <param name="SamplerSteps">Default Euler steps of the flow-matching sampler.</param>
/// <param name="TimeFrequencies">Size of the sinusoidal time embedding.</param>
/// <param name="LayerNormEps">LayerNorm epsilon.</param>
/// <param name="RayFrequencies">F: each token also gets sin and cos of 2^k · r (k &lt; F) of its patch's mean Plücker ray r; 0 = none.</param>
public sealed record ModelConfig(
    int ImageHeight = 64,
    int ImageWidth = 64,
    int Patch = 8,
    int Width = 256,
    int Depth = 6,
    int Heads = 4,
    int MlpRatio = 4,
    int ContextFrames = 4,
    int SamplerSteps = 4,
    int TimeFrequencies = 256,
    float LayerNormEps = 1e-6f,
    int RayFrequencies = 0)
{
    public static ModelConfig Tiny => new();

    [JsonIgnore] public int TokensPerFrame => ImageHeight / Patch * (ImageWidth / Patch);
    [JsonIgnore] public int HeadDim => Width / Heads;
    [JsonIgnore] public int MlpWidth => Width * MlpRatio;

    /// <summary>Per token input: p²·3 pixel values followed by p²·6 Plücker values.</summary>
    [JsonIgnore] public int TokenInputWidth => Patch * Patch * 9;

    [JsonIgnore] public int PatchPixelWidth => Patch * Patch * 3;

    /// <summary>Per token: sin then cos of 2^k · r for k &lt; F and the 6 components of the patch's mean ray (12 F values).</summary>
    [JsonIgnore] public int RayFeatureWidth => 12 * RayFrequencies;

    /// <summary>Inputs of the `embed` linear: the patchified token, then its ray features.</summary>
    [JsonIgnore] public int EmbedInputWidth => TokenInputWidth + RayFeatureWidth;

    /// <summary>Returns the problems with this config (empty when valid).</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (ImageHeight <= 0 || ImageWidth <= 0) p.Add($"image size {ImageWidth}x{ImageHeight} must be positive");
        if (Patch <= 0) p.Add($"patch {Patch} must be positive");
        else if (ImageHeight > 0 && ImageWidth > 0 && (ImageHeight % Patch != 0 || ImageWidth % Patch != 0)) p.Add($"patch {Patch} must divide the image size {ImageWidth}x{ImageHeight}");
        if (Width <= 0) p.Add($"width {Width} must be positive");
        if (Depth <= 0) p.Add($"depth {Depth} must be positive");
        if (Heads <= 0) p.Add($"heads {Heads} must be positive");
        else if (Width > 0 && Width % Heads != 0) p.Add($"width {Width} must be divisible by heads {Heads}");
        if (MlpRatio <= 0) p.Add($"mlp ratio {MlpRatio} must be positive");
        if (ContextFrames < 0) p.Add($"context frames {ContextFrames} must be >= 0");
        if (SamplerSteps <= 0 || SamplerSteps > 1000) p.Add($"sampler steps {SamplerSteps} must be in 1..1000");
        if (TimeFrequencies <= 0 || TimeFrequencies % 2 != 0) p.Add($"time frequencies {TimeFrequencies} must be positive and even");
        if (!(LayerNormEps > 0)) p.Add($"layernorm eps {LayerNormEps} must be positive");
        if (RayFrequencies < 0 || RayFrequencies > 16) p.Add($"ray frequencies {RayFrequencies} must be in 0..16");
        return p;
    }

    public ModelConfig EnsureValid()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new ArgumentException("invalid model config: " + string.Join("; ", problems));
    }

    /// <summary>FLOPs of one transformer pass over one frame's tokens attending to <paramref name="keysPerQuery"/> keys (GEMMs + attention).</summary>
    public long PassFlops(int keysPerQuery, bool withOutputHead)
    {
        long t = TokensPerFrame, d = Width;
        long embed = 2 * t * TokenInputWidth * d;
        long perLayer = 2 * t * d * d * 4 /* q k v out */ + 2 * t * d * MlpWidth * 2 /* fc1 fc2 */ + 2 * 2 * t * keysPerQuery * d /* scores + values */;
        long head = withOutputHead ? 2 * t * d * PatchPixelWidth : 0;
        return embed + Depth * perLayer + head;
    }

    /// <summary>FLOPs of the ray-feature linears (`embed`'s ray columns, every layer's `ray_q` and `ray_k`), once per frame: they depend on the pose only.</summary>
    public long RayEmbedFlops => 2L * TokensPerFrame * RayFeatureWidth * Width * (1 + 2 * Depth);

    /// <summary>FLOPs to render one frame with <paramref name="contextFrames"/> context blocks and <paramref name="steps"/> sampler steps.</summary>
    public long RenderFlops(int contextFrames, int steps) => steps * PassFlops((contextFrames + 1) * TokensPerFrame, withOutputHead: true) + RayEmbedFlops;

    /// <summary>FLOPs to encode one frame into its KV block.</summary>
    public long EncodeFlops() => PassFlops(TokensPerFrame, withOutputHead: false) + RayEmbedFlops;

    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}
