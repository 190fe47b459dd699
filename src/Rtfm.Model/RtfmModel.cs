// RTFM-tiny on any compute backend (docs/model.md): Encode turns a posed frame into its KV
// block; Render denoises a target view from noise with a few flow-matching Euler steps while
// its tokens attend to themselves and to the context blocks. Not thread-safe: one workspace
// per instance, allocated once, so a render in steady state allocates only its result.
using Rtfm.Compute;
using Rtfm.Compute.Host;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;
using Rtfm.Core.Numerics;
using Rtfm.Model.Weights;

namespace Rtfm.Model;

public sealed class RtfmModel : IDisposable
{
    private readonly IComputeBackend _backend;
    private readonly LinearWeight _embed, _timeFc1, _timeFc2, _finalAda, _finalLinear;
    private readonly LinearWeight? _embedRays; // the ray-feature columns of `embed` (F > 0)
    private readonly LayerWeights[] _layers;
    private readonly Workspace _ws;
    private readonly KvBlockView[][] _contextViews;
    private readonly DeterministicRandom _noise = new(0);

    public RtfmModel(ModelWeights weights, IComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(weights);
        _backend = backend ?? throw new ArgumentNullException(nameof(backend));
        Card = weights.Card;
        Config = weights.Config.EnsureValid();
        var c = Config;
        LinearWeight Prep(string name, int fanIn, int fanOut) =>
            backend.PrepareLinear(weights.TransposedWeight(name, fanIn, fanOut), weights[name + ".bias"], fanIn, fanOut);
        // `embed` reads [token ; ray features]: split into the per-step part (pixels change every
        // sampler step) and the ray part, which depends on the pose only and is embedded once.
        var embed = weights.TransposedWeight("embed", c.EmbedInputWidth, c.Width); // (EmbedInputWidth, D)
        int tokenPart = c.TokenInputWidth * c.Width;
        _embed = backend.PrepareLinear(embed.AsSpan(0, tokenPart), weights["embed.bias"], c.TokenInputWidth, c.Width);
        if (c.RayFeatureWidth > 0)
            _embedRays = backend.PrepareLinear(embed.AsSpan(tokenPart), ReadOnlySpan<float>.Empty, c.RayFeatureWidth, c.Width);
        _timeFc1 = Prep("time.fc1", c.TimeFrequencies, c.Width);
        _timeFc2 = Prep("time.fc2", c.Width, c.Width);
        _finalAda = Prep("final.ada", c.Width, 2 * c.Width);
        _finalLinear = Prep("final.linear", c.Width, c.PatchPixelWidth);
        _layers = new LayerWeights[c.Depth];
        for (int l = 0; l < c.Depth; l++)
        {
            string B(string n) => ParameterNames.Block(l, n);
            _layers[l] = new LayerWeights(
                Prep(B("ada"), c.Width, 6 * c.Width),
                Prep(B("attn.q"), c.Width, c.Width),
                Prep(B("attn.k"), c.Width, c.Width),
                Prep(B("attn.v"), c.Width, c.Width),
                Prep(B("attn.out"), c.Width, c.Width),
                Prep(B("mlp.fc1"), c.Width, c.MlpWidth),
                Prep(B("mlp.fc2"), c.MlpWidth, c.Width),
                c.RayFeatureWidth > 0 ? Prep(B("attn.ray_q"), c.RayFeatureWidth, c.Width) : null,
                c.RayFeatureWidth > 0 ? Prep(B("attn.ray_k"), c.RayFeatureWidth, c.Width) : null);
        }
        _ws = new Workspace(backend, c);
        _contextViews = new KvBlockView[c.Depth][];
        for (int l = 0; l < c.Depth; l++) _contextViews[l] = new KvBlockView[c.ContextFrames];
    }

    // A lane: the same prepared weights, its own workspace on another backend (a stream of the same device).
    private RtfmModel(RtfmModel weightsFrom, IComputeBackend backend)
    {
        _backend = backend;
        Card = weightsFrom.Card;
        Config = weightsFrom.Config;
        (_embed, _timeFc1, _timeFc2, _finalAda, _finalLinear) = (weightsFrom._embed, weightsFrom._timeFc1, weightsFrom._timeFc2, weightsFrom._finalAda, weightsFrom._finalLinear);
        _embedRays = weightsFrom._embedRays;
        _layers = weightsFrom._layers;
        _ws = new Workspace(backend, Config);
        _contextViews = new KvBlockView[Config.Depth][];
        for (int l = 0; l < Config.Depth; l++) _contextViews[l] = new KvBlockView[Config.ContextFrames];
    }

    /// <summary>
    /// A model that shares this one's prepared weights (uploaded once) but renders with its own
    /// workspace on <paramref name="laneBackend"/>, a backend that accepts this backend's weights
    /// and tensors (a CUDA lane: another stream of the same device). Disposing it disposes
    /// <paramref name="laneBackend"/> only.
    /// </summary>
    public RtfmModel CreateLane(IComputeBackend laneBackend) => new(this, laneBackend ?? throw new ArgumentNullException(nameof(laneBackend)));

    /// <summary>Bytes of device (or host) memory one workspace holds: a lane's activations and scratch.</summary>
    public static long WorkspaceBytes(ModelConfig c, long allocationGranularity = 256)
    {
        ArgumentNullException.ThrowIfNull(c);
        int t = c.TokensPerFrame, d = c.Width, pixels = c.ImageHeight * c.ImageWidth;
        long[] floats =
        [
            3L * pixels, 3L * pixels, 6L * pixels, (long)t * c.TokenInputWidth, c.TimeFrequencies, d, d, d,
            (long)t * d, (long)t * d, (long)t * d, (long)t * d, (long)t * d, (long)t * d, (long)t * d,
            (long)t * c.MlpWidth, 6L * d, 2L * d, (long)t * c.PatchPixelWidth,
        ];
        if (c.RayFeatureWidth > 0) // ray features, their embedding, the ones gate, per layer the query and key ray terms
            floats = [.. floats, (long)t * c.RayFeatureWidth, (long)t * d, d, .. Enumerable.Repeat((long)t * d, 2 * c.Depth)];
        return floats.Sum(n => (n * sizeof(float) + allocationGranularity - 1) / allocationGranularity * allocationGranularity);
    }

    /// <summary>Bytes of one KV block of this config (f32 keys and values of every layer).</summary>
    public static long BlockBytes(ModelConfig c) => 2L * c.Depth * c.TokensPerFrame * c.Width * sizeof(float);

    /// <summary>The block in host memory (HostTensor): a block any backend's engine can take back, and the form sessions hold.</summary>
    public KvBlock ToHost(KvBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (block.IsOnHost) return block;
        var keys = new Tensor[block.Layers];
        var values = new Tensor[block.Layers];
        for (int l = 0; l < block.Layers; l++)
        {
            var k = new HostTensor(block.Keys[l].Shape);
            var v = new HostTensor(block.Values[l].Shape);
            _backend.Download(block.Keys[l], k.Span);
            _backend.Download(block.Values[l], v.Span);
            keys[l] = k;
            values[l] = v;
        }
        return new KvBlock(block.ModelVersion, keys, values);
    }

    public ModelCard Card { get; }

    public ModelConfig Config { get; }

    /// <summary>Version string tagged on every KV block this model makes.</summary>
    public string Version => Card.Id;

    public IComputeBackend Backend => _backend;

    /// <summary>Encodes a posed frame into its KV block (the frame attends to itself only).</summary>
    public KvBlock Encode(RgbImage frame, in Pose pose, in Intrinsics intrinsics)
    {
        var block = AllocateBlock();
        EncodeInto(frame, pose, intrinsics, block);
        return block;
    }

    /// <summary>A block of this model's shape in the backend's memory, zero-filled (a slot to encode or upload into).</summary>
    public KvBlock AllocateBlock()
    {
        var c = Config;
        var keys = new Tensor[c.Depth];
        var values = new Tensor[c.Depth];
        for (int l = 0; l < c.Depth; l++)
        {
            keys[l] = _backend.Allocate(c.TokensPerFrame, c.Width);
            values[l] = _backend.Allocate(c.TokensPerFrame, c.Width);
        }
        return new KvBlock(Version, keys, values);
    }

    /// <summary>As <see cref="Encode"/>, into <paramref name="destination"/> (a block of this model's shape on this backend).</summary>
    public void EncodeInto(RgbImage frame, in Pose pose, in Intrinsics intrinsics, KvBlock destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CheckFrame(frame, intrinsics);
        pose.EnsureValid(nameof(pose));
        var c = Config;
        if (destination.ModelVersion != Version || destination.Layers != c.Depth || destination.Tokens != c.TokensPerFrame)
            throw new ArgumentException($"destination block is {destination.Layers}x{destination.Tokens} of model {destination.ModelVersion}, this model makes {c.Depth}x{c.TokensPerFrame} of {Version}", nameof(destination));
        var keys = (Tensor[])destination.Keys;
        var values = (Tensor[])destination.Values;
        var pixels = _ws.HostImage;
        var src = frame.Pixels;
        for (int i = 0; i < pixels.Length; i++) pixels[i] = 2f * src[i] - 1f; // model space [-1, 1]
        _backend.Upload(_ws.Image, pixels);
        _backend.PluckerRays(pose, intrinsics, _ws.Rays);
        EmbedRayFeatures(pose, intrinsics);
        _backend.PatchifyWithRays(_ws.Image, _ws.Rays, c.Patch, _ws.Tokens);
        Transformer(t: 1f, contextCount: 0, keys, values);
    }

    /// <summary>The stored form of a block this model made (see <see cref="KvBlockCodec"/>).</summary>
    public byte[] SerializeBlock(KvBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var c = Config;
        if (block.ModelVersion != Version) throw new ArgumentException($"block was encoded by model {block.ModelVersion}, this is {Version}", nameof(block));
        int n = c.TokensPerFrame * c.Width;
        var payload = new float[2L * c.Depth * n];
        for (int l = 0; l < c.Depth; l++)
        {
            if (block.IsOnHost)
            {
                ((HostTensor)block.Keys[l]).Span.CopyTo(payload.AsSpan(2 * l * n, n));
                ((HostTensor)block.Values[l]).Span.CopyTo(payload.AsSpan((2 * l + 1) * n, n));
                continue;
            }
            _backend.Download(block.Keys[l], payload.AsSpan(2 * l * n, n));
            _backend.Download(block.Values[l], payload.AsSpan((2 * l + 1) * n, n));
        }
        return KvBlockCodec.Encode(new KvBlockHeader(Version, c.Depth, c.TokensPerFrame, c.Width), payload);
    }

    /// <summary>
    /// Loads a stored block. Corruption -> <see cref="InvalidDataException"/>; a block of another
    /// model or shape -> <see cref="KvBlockMismatchException"/> (re-encode its frame instead).
    /// </summary>
    public KvBlock DeserializeBlock(ReadOnlySpan<byte> bytes) => DeserializeBlock(bytes, onHost: false);

    /// <summary>As <see cref="DeserializeBlock(ReadOnlySpan{byte})"/>, into host memory when <paramref name="onHost"/> (nothing touches the backend).</summary>
    public KvBlock DeserializeBlock(ReadOnlySpan<byte> bytes, bool onHost)
    {
        var (header, payload) = KvBlockCodec.Decode(bytes);
        var c = Config;
        if (header.ModelVersion != Version)
            throw new KvBlockMismatchException($"stored block was encoded by model {header.ModelVersion}, this is {Version}: re-encode its frame");
        if (header.Layers != c.Depth || header.Tokens != c.TokensPerFrame || header.Width != c.Width)
            throw new KvBlockMismatchException($"stored block is {header.Layers}x{header.Tokens}x{header.Width}, this model needs {c.Depth}x{c.TokensPerFrame}x{c.Width}");
        int n = c.TokensPerFrame * c.Width;
        var keys = new Tensor[c.Depth];
        var values = new Tensor[c.Depth];
        for (int l = 0; l < c.Depth; l++)
        {
            keys[l] = onHost ? new HostTensor(c.TokensPerFrame, c.Width) : _backend.Allocate(c.TokensPerFrame, c.Width);
            values[l] = onHost ? new HostTensor(c.TokensPerFrame, c.Width) : _backend.Allocate(c.TokensPerFrame, c.Width);
            if (onHost)
            {
                payload.AsSpan(2 * l * n, n).CopyTo(((HostTensor)keys[l]).Span);
                payload.AsSpan((2 * l + 1) * n, n).CopyTo(((HostTensor)values[l]).Span);
                continue;
            }
            _backend.Upload(keys[l], payload.AsSpan(2 * l * n, n));
            _backend.Upload(values[l], payload.AsSpan((2 * l + 1) * n, n));
        }
        return new KvBlock(Version, keys, values);
    }

    /// <summary>Renders the view from <paramref name="pose"/> conditioned on the context blocks (at most K).</summary>
    public RgbImage Render(in Pose pose, in Intrinsics intrinsics, IReadOnlyList<KvBlock> context, ulong seed, int? steps = null)
    {
        var image = new RgbImage(Config.ImageWidth, Config.ImageHeight);
        RenderInto(pose, intrinsics, context, seed, image, steps);
        return image;
    }

    /// <summary>As <see cref="Render"/>, into a caller-owned image (no allocation in steady state).</summary>
    public void RenderInto(in Pose pose, in Intrinsics intrinsics, IReadOnlyList<KvBlock> context, ulong seed, RgbImage output, int? steps = null)
    {
        _noise.Reset(seed);
        _noise.FillGaussian(_ws.HostImage);
        RenderCore(pose, intrinsics, context, output, steps);
    }

    /// <summary>
    /// Renders from a given initial noise (H, W, 3) instead of a seed: for parity tests against
    /// the trainer, which draws its noise with PyTorch.
    /// </summary>
    public void RenderFromNoise(in Pose pose, in Intrinsics intrinsics, IReadOnlyList<KvBlock> context, ReadOnlySpan<float> noise, RgbImage output, int? steps = null)
    {
        if (noise.Length != _ws.HostImage.Length)
            throw new ArgumentException($"noise has {noise.Length} values, expected {Config.ImageHeight}x{Config.ImageWidth}x3 = {_ws.HostImage.Length}", nameof(noise));
        noise.CopyTo(_ws.HostImage);
        RenderCore(pose, intrinsics, context, output, steps);
    }

    private void RenderCore(in Pose pose, in Intrinsics intrinsics, IReadOnlyList<KvBlock> context, RgbImage output, int? steps)
    {
        ArgumentNullException.ThrowIfNull(context);
        CheckFrame(output, intrinsics);
        pose.EnsureValid(nameof(pose));
        var c = Config;
        int n = steps ?? c.SamplerSteps;
        if (n <= 0 || n > 1000) throw new ArgumentOutOfRangeException(nameof(steps), $"sampler steps {n} must be in 1..1000");
        if (context.Count > c.ContextFrames)
            throw new ArgumentException($"{context.Count} context blocks given, the model attends to at most K = {c.ContextFrames}: retrieve first", nameof(context));
        for (int b = 0; b < context.Count; b++)
        {
            var blk = context[b] ?? throw new ArgumentException($"context block {b} is null", nameof(context));
            if (blk.ModelVersion != Version)
                throw new ArgumentException($"context block {b} was encoded by model {blk.ModelVersion}, this is {Version}: re-encode its frame", nameof(context));
            for (int l = 0; l < c.Depth; l++) _contextViews[l][b] = blk.Layer(l);
        }

        var x = _ws.HostImage; // holds the initial noise
        _backend.Upload(_ws.Image, x);
        _backend.PluckerRays(pose, intrinsics, _ws.Rays);
        EmbedRayFeatures(pose, intrinsics);
        for (int s = 0; s < n; s++)
        {
            float t = (float)s / n, tNext = (float)(s + 1) / n;
            _backend.PatchifyWithRays(_ws.Image, _ws.Rays, c.Patch, _ws.Tokens);
            Transformer(t, context.Count, null, null);
            // Output head: adaLN-modulated LayerNorm, linear to patch pixels, the clean-frame prediction.
            _backend.Linear(_ws.TimeGelu, _finalAda, _ws.FinalMod);
            _backend.LayerNormModulate(_ws.X, _ws.FinalShift, _ws.FinalScale, _ws.H, c.LayerNormEps);
            _backend.Linear(_ws.H, _finalLinear, _ws.PatchOut);
            _backend.Unpatchify(_ws.PatchOut, c.Patch, _ws.Prediction);
            _backend.SamplerStep(_ws.Image, _ws.Prediction, t, tNext);
        }
        _backend.Download(_ws.Image, x);
        var dst = output.Pixels;
        for (int i = 0; i < dst.Length; i++) dst[i] = Math.Clamp(0.5f * x[i] + 0.5f, 0f, 1f);
        for (int l = 0; l < c.Depth; l++) Array.Clear(_contextViews[l]);
    }

    /// <summary>
    /// The DiT trunk over _ws.Tokens at time t. With <paramref name="keysOut"/> (encode), each layer's
    /// keys/values are written there and the last layer stops after them (nothing later is used).
    /// </summary>
    private void Transformer(float t, int contextCount, Tensor[]? keysOut, Tensor[]? valuesOut)
    {
        var c = Config;
        var ws = _ws;
        var b = _backend;
        TimeEmbedding.Compute(t, ws.HostTime);
        b.Upload(ws.Time, ws.HostTime);
        b.Linear(ws.Time, _timeFc1, ws.TimeHidden);
        b.Gelu(ws.TimeHidden, ws.TimeHidden);
        b.Linear(ws.TimeHidden, _timeFc2, ws.TimeCond);
        b.Gelu(ws.TimeCond, ws.TimeGelu);
        b.Linear(ws.Tokens, _embed, ws.X);
        if (_embedRays is not null) b.GatedResidualAdd(ws.X, ws.Ones!, ws.RayEmbed!);
        for (int l = 0; l < c.Depth; l++)
        {
            var w = _layers[l];
            var k = keysOut?[l] ?? ws.K;
            var v = valuesOut?[l] ?? ws.V;
            b.Linear(ws.TimeGelu, w.Ada, ws.Mod);
            b.LayerNormModulate(ws.X, ws.ModShift1, ws.ModScale1, ws.H, c.LayerNormEps);
            b.Linear(ws.H, w.K, k);
            if (_embedRays is not null) b.GatedResidualAdd(k, ws.Ones!, ws.RayKeys[l]);
            b.Linear(ws.H, w.V, v);
            if (keysOut is not null && l == c.Depth - 1) break;
            b.Linear(ws.H, w.Q, ws.Q);
            if (_embedRays is not null) b.GatedResidualAdd(ws.Q, ws.Ones!, ws.RayQueries[l]);
            b.Attention(ws.Q, _contextViews[l].AsSpan(0, contextCount), k, v, ws.AttnOut, c.Heads);
            b.Linear(ws.AttnOut, w.Out, ws.Proj);
            b.GatedResidualAdd(ws.X, ws.ModGate1, ws.Proj);
            b.LayerNormModulate(ws.X, ws.ModShift2, ws.ModScale2, ws.H, c.LayerNormEps);
            b.Linear(ws.H, w.Fc1, ws.Hidden);
            b.Gelu(ws.Hidden, ws.Hidden);
            b.Linear(ws.Hidden, w.Fc2, ws.Proj);
            b.GatedResidualAdd(ws.X, ws.ModGate2, ws.Proj);
        }
    }

    /// <summary>
    /// With F &gt; 0: ws.RayEmbed (T, D) = the ray-feature columns of `embed` applied to each patch's
    /// Fourier features (docs/model.md), from the rays in ws.Rays, and per layer the ray terms
    /// of the queries and keys (`attn.ray_q`, `attn.ray_k`), all once per frame. Computed on the host (T·12F
    /// values), in a fixed order, so the result is the same whatever backend or thread count.
    /// Nothing here waits for the device: uploads and linears are enqueued like every other op.
    /// </summary>
    private void EmbedRayFeatures(in Pose pose, in Intrinsics intrinsics)
    {
        if (_embedRays is null) return;
        var c = Config;
        var ws = _ws;
        // The rays again on the host (64 K floats of scalar math), not downloaded: a download would
        // make a GPU render wait for the device mid-frame.
        PluckerRays.Compute(pose, intrinsics, ws.HostRays);
        RayFeatures.Compute(ws.HostRays, c.ImageHeight, c.ImageWidth, c.Patch, c.RayFrequencies, ws.HostRayFeatures);
        _backend.Upload(ws.RayFeatures!, ws.HostRayFeatures);
        _backend.Linear(ws.RayFeatures!, _embedRays, ws.RayEmbed!);
        for (int l = 0; l < c.Depth; l++)
        {
            _backend.Linear(ws.RayFeatures!, _layers[l].RayQ!, ws.RayQueries[l]);
            _backend.Linear(ws.RayFeatures!, _layers[l].RayK!, ws.RayKeys[l]);
        }
    }

    private void CheckFrame(RgbImage frame, in Intrinsics intrinsics)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Width != Config.ImageWidth || frame.Height != Config.ImageHeight)
            throw new ArgumentException($"frame is {frame.Width}x{frame.Height}, the model takes {Config.ImageWidth}x{Config.ImageHeight}", nameof(frame));
        if (intrinsics.Width != Config.ImageWidth || intrinsics.Height != Config.ImageHeight)
            throw new ArgumentException($"intrinsics are for {intrinsics.Width}x{intrinsics.Height}, the model takes {Config.ImageWidth}x{Config.ImageHeight}", nameof(intrinsics));
        string? why = intrinsics.Validate();
        if (why is not null) throw new ArgumentException(why, nameof(intrinsics));
    }

    public void Dispose() => _backend.Dispose();

    private sealed record LayerWeights(LinearWeight Ada, LinearWeight Q, LinearWeight K, LinearWeight V, LinearWeight Out, LinearWeight Fc1, LinearWeight Fc2,
        LinearWeight? RayQ, LinearWeight? RayK);

    /// <summary>Every intermediate of a pass, allocated once.</summary>
    private sealed class Workspace
    {
        public Workspace(IComputeBackend b, ModelConfig c)
        {
            int t = c.TokensPerFrame, d = c.Width;
            HostImage = new float[c.ImageHeight * c.ImageWidth * 3];
            HostTime = new float[c.TimeFrequencies];
            Image = b.Allocate(c.ImageHeight, c.ImageWidth, 3);
            Prediction = b.Allocate(c.ImageHeight, c.ImageWidth, 3);
            Rays = b.Allocate(c.ImageHeight, c.ImageWidth, 6);
            Tokens = b.Allocate(t, c.TokenInputWidth);
            Time = b.Allocate(1, c.TimeFrequencies);
            TimeHidden = b.Allocate(1, d);
            TimeCond = b.Allocate(1, d);
            TimeGelu = b.Allocate(1, d);
            X = b.Allocate(t, d);
            H = b.Allocate(t, d);
            Q = b.Allocate(t, d);
            K = b.Allocate(t, d);
            V = b.Allocate(t, d);
            AttnOut = b.Allocate(t, d);
            Proj = b.Allocate(t, d);
            Hidden = b.Allocate(t, c.MlpWidth);
            Mod = b.Allocate(1, 6 * d);
            ModShift1 = Mod.View(0, d);
            ModScale1 = Mod.View(d, d);
            ModGate1 = Mod.View(2 * d, d);
            ModShift2 = Mod.View(3 * d, d);
            ModScale2 = Mod.View(4 * d, d);
            ModGate2 = Mod.View(5 * d, d);
            FinalMod = b.Allocate(1, 2 * d);
            FinalShift = FinalMod.View(0, d);
            FinalScale = FinalMod.View(d, d);
            PatchOut = b.Allocate(t, c.PatchPixelWidth);
            HostRays = new float[c.RayFeatureWidth > 0 ? c.ImageHeight * c.ImageWidth * 6 : 0];
            HostRayFeatures = new float[t * c.RayFeatureWidth];
            if (c.RayFeatureWidth > 0)
            {
                RayFeatures = b.Allocate(t, c.RayFeatureWidth);
                RayEmbed = b.Allocate(t, d);
                Ones = b.Allocate(1, d);
                RayQueries = new Tensor[c.Depth];
                RayKeys = new Tensor[c.Depth];
                for (int l = 0; l < c.Depth; l++)
                {
                    RayQueries[l] = b.Allocate(t, d);
                    RayKeys[l] = b.Allocate(t, d);
                }
                var ones = new float[d];
                Array.Fill(ones, 1f);
                b.Upload(Ones, ones);
            }
        }

        public float[] HostRays { get; }
        public float[] HostRayFeatures { get; }
        public Tensor? RayFeatures { get; }
        public Tensor? RayEmbed { get; }
        public Tensor? Ones { get; }
        public Tensor[] RayQueries { get; } = [];
        public Tensor[] RayKeys { get; } = [];

        public float[] HostImage { get; }
        public float[] HostTime { get; }
        public Tensor Image { get; }
        public Tensor Prediction { get; }
        public Tensor Rays { get; }
        public Tensor Tokens { get; }
        public Tensor Time { get; }
        public Tensor TimeHidden { get; }
        public Tensor TimeCond { get; }
        public Tensor TimeGelu { get; }
        public Tensor X { get; }
        public Tensor H { get; }
        public Tensor Q { get; }
        public Tensor K { get; }
        public Tensor V { get; }
        public Tensor AttnOut { get; }
        public Tensor Proj { get; }
        public Tensor Hidden { get; }
        public Tensor Mod { get; }
        public Tensor ModShift1 { get; }
        public Tensor ModScale1 { get; }
        public Tensor ModGate1 { get; }
        public Tensor ModShift2 { get; }
        public Tensor ModScale2 { get; }
        public Tensor ModGate2 { get; }
        public Tensor FinalMod { get; }
        public Tensor FinalShift { get; }
        public Tensor FinalScale { get; }
        public Tensor PatchOut { get; }
    }
}
