// The CUDA backend: IComputeBackend on an ICudaDevice, so the same host code drives a GPU
// (DriverDevice) and the CPU emulator of the kernels (EmulatedDevice). Weights are uploaded
// once at PrepareLinear (bf16 Wᵀ for the tensor-core GEMM, or f32 W for the exact fallback);
// tensors, including the KV blocks the model keeps, live in device memory. Every op only
// enqueues launches on the backend's stream: nothing waits until a Download. WithNewStream gives
// a lane: a backend on its own stream that shares this one's weights and tensors, so several
// sessions render at once without waiting on each other.
// Precision per op: docs/decisions.md ("CUDA backend precision per op").
using Rtfm.Compute;
using Rtfm.Core.Geometry;
using Rtfm.Cuda.Devices;
using Rtfm.Cuda.Kernels;

namespace Rtfm.Cuda.Backend;

/// <summary>How the CUDA backend's linear layers multiply.</summary>
public enum GemmPrecision
{
    /// <summary>gemm_bf16_tc: weights stored bf16, activations rounded to bf16 on load, f32 accumulation on tensor cores.</summary>
    Bf16,

    /// <summary>gemm_f32: f32 weights and FMAs in the interface's order (bit-identical to the CPU engine's GEMM).</summary>
    F32,
}

/// <summary>Options of the CUDA backend.</summary>
/// <param name="Gemm">Precision of every Linear.</param>
public sealed record CudaBackendOptions(GemmPrecision Gemm = GemmPrecision.Bf16);

public sealed unsafe class CudaBackend : IComputeBackend
{
    private const int ElementwiseThreads = 256;

    // Element-wise kernels loop grid-stride; more blocks than this only add scheduling work.
    private const int MaxElementwiseBlocks = 4096;

    private readonly ICudaDevice _device;
    private readonly bool _ownsDevice;

    // The backend that prepared the weights; lanes share its tensors and weights.
    private readonly CudaBackend _root;

    /// <param name="device">The device the backend enqueues on.</param>
    /// <param name="options">Precision options; bf16 GEMMs by default.</param>
    /// <param name="ownsDevice">Whether disposing the backend disposes the device.</param>
    public CudaBackend(ICudaDevice device, CudaBackendOptions? options = null, bool ownsDevice = true)
    {
        _device = device ?? throw new ArgumentNullException(nameof(device));
        Options = options ?? new CudaBackendOptions();
        _ownsDevice = ownsDevice;
        _root = this;
    }

    private CudaBackend(CudaBackend root, ICudaDevice streamView)
    {
        _device = streamView;
        Options = root.Options;
        _ownsDevice = true; // the view: disposing it destroys its stream only
        _root = root;
    }

    /// <summary>
    /// A lane: a backend that enqueues on a new stream of the same device and accepts this
    /// backend's weights and tensors. Its ops never wait on other lanes'; a tensor shared between
    /// lanes must be complete (its writer's stream synchronised) before another lane reads it.
    /// </summary>
    public CudaBackend WithNewStream() => new(_root, _device.WithNewStream());

    public void Synchronize() => _device.Synchronize();

    public CudaBackendOptions Options { get; }

    public ICudaDevice Device => _device;

    public string Name => $"cuda-{Options.Gemm.ToString().ToLowerInvariant()} on {_device.Name}";

    public OpCounters Counters { get; } = new();

    public Tensor Allocate(params int[] shape)
    {
        var tensor = new CudaTensor(this, shape);
        _device.Fill(tensor.Memory, 0);
        return tensor;
    }

    public void Upload(Tensor destination, ReadOnlySpan<float> source)
    {
        OpShapes.Length(destination, source.Length, nameof(destination));
        var d = Own(destination, nameof(destination));
        if (source.Length > 0) _device.Upload(d.Memory, d.ByteOffset, source);
    }

    public void Download(Tensor source, Span<float> destination)
    {
        OpShapes.Length(source, destination.Length, nameof(destination));
        var s = Own(source, nameof(source));
        if (destination.Length > 0) _device.Download(s.Memory, s.ByteOffset, destination);
        else _device.Synchronize(); // "downloaded" still means every earlier op is done
    }

    public LinearWeight PrepareLinear(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int inFeatures, int outFeatures)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        if (weight.Length != (long)inFeatures * outFeatures)
            throw new ArgumentException($"weight has {weight.Length} values, expected {inFeatures}x{outFeatures}", nameof(weight));
        if (bias.Length != 0 && bias.Length != outFeatures)
            throw new ArgumentException($"bias has {bias.Length} values, expected {outFeatures} or none", nameof(bias));
        DeviceMemory w;
        if (Options.Gemm == GemmPrecision.Bf16)
        {
            w = _device.Allocate((long)inFeatures * outFeatures * sizeof(ushort));
            _device.Upload<ushort>(w, 0, Bf16.PackTransposed(weight, inFeatures, outFeatures));
        }
        else
        {
            w = _device.Allocate((long)inFeatures * outFeatures * sizeof(float));
            _device.Upload(w, 0, weight);
        }
        DeviceMemory? b = null;
        if (bias.Length != 0)
        {
            b = _device.Allocate((long)outFeatures * sizeof(float));
            _device.Upload(b, 0, bias);
        }
        return new CudaLinearWeight(_root, Options.Gemm, w, b, inFeatures, outFeatures);
    }

    public void Linear(Tensor x, LinearWeight weight, Tensor y)
    {
        OpShapes.Linear(x, weight, y);
        var w = weight as CudaLinearWeight is { } cw && cw.Owner == _root
            ? cw
            : throw new ArgumentException($"weight was prepared by another backend ({weight.GetType().Name})", nameof(weight));
        var dx = Own(x, nameof(x));
        var dy = Own(y, nameof(y));
        int m = x.Rows, n = w.OutFeatures, k = w.InFeatures;
        if (m > 0)
        {
            var p = new GemmParams
            {
                X = dx.Pointer,
                Weight = w.Weight.Pointer,
                Bias = w.Bias?.Pointer ?? default,
                Y = dy.Pointer,
                M = m,
                N = n,
                K = k,
                Epilogue = GemmParams.EpilogueNone,
            };
            var grid = new Dim3((uint)((n + 63) / 64), (uint)((m + 63) / 64));
            if (w.Precision == GemmPrecision.Bf16) _device.Launch("gemm_bf16_tc", grid, new Dim3(128), 0, p);
            else _device.Launch("gemm_f32", grid, new Dim3(256), 0, p);
        }
        Counters.AddLinear(m, k, n);
    }

    public void Attention(Tensor queries, ReadOnlySpan<KvBlockView> context, Tensor selfKeys, Tensor selfValues, Tensor output, int heads)
    {
        var (tq, d, keys) = OpShapes.Attention(queries, context, selfKeys, selfValues, output, heads);
        int dh = d / heads;
        if (context.Length > AttentionParams.MaxContextBlocks)
            throw new NotSupportedException($"the attention kernel takes at most {AttentionParams.MaxContextBlocks} context blocks per call, got {context.Length}");
        if (dh > MaxHeadDim)
            throw new NotSupportedException($"the attention kernel supports head widths up to {MaxHeadDim}, got {dh}");
        var p = new AttentionParams
        {
            Q = Own(queries, nameof(queries)).Pointer,
            SelfK = Own(selfKeys, nameof(selfKeys)).Pointer,
            SelfV = Own(selfValues, nameof(selfValues)).Pointer,
            Out = Own(output, nameof(output)).Pointer,
            ContextBlocks = context.Length,
            Tq = tq,
            D = d,
            Heads = heads,
            Scale = 1f / MathF.Sqrt(dh),
        };
        for (int i = 0; i < context.Length; i++)
        {
            p.ContextK[i] = Own(context[i].Keys, "context keys").Pointer.Address;
            p.ContextV[i] = Own(context[i].Values, "context values").Pointer.Address;
            p.ContextRows[i] = context[i].Keys.Rows;
        }
        if (tq > 0) _device.Launch("attention_online_softmax", new Dim3((uint)((tq + 7) / 8), (uint)heads), new Dim3(256), 0, p);
        Counters.AddAttention(tq, keys, heads);
    }

    /// <summary>The widest head attention_online_softmax holds in registers (ATT_MAX_DH in kernels/attention.cu).</summary>
    public const int MaxHeadDim = 128;

    public void LayerNormModulate(Tensor x, Tensor shift, Tensor scale, Tensor y, float eps)
    {
        int d = x.Columns, rows = x.Rows;
        OpShapes.Length(shift, d, nameof(shift));
        OpShapes.Length(scale, d, nameof(scale));
        OpShapes.Matrix(y, rows, d, nameof(y));
        if (rows == 0 || d == 0) return;
        _device.Launch("layernorm_modulate", new Dim3((uint)((rows + 3) / 4)), new Dim3(128), 0, new LayerNormParams
        {
            X = Own(x, nameof(x)).Pointer,
            Shift = Own(shift, nameof(shift)).Pointer,
            Scale = Own(scale, nameof(scale)).Pointer,
            Y = Own(y, nameof(y)).Pointer,
            Rows = rows,
            Cols = d,
            Eps = eps,
        });
    }

    public void Gelu(Tensor x, Tensor y)
    {
        OpShapes.Length(y, x.Length, nameof(y));
        if (x.Length == 0) return;
        _device.Launch("gelu", Elementwise(x.Length), new Dim3(ElementwiseThreads), 0,
            new GeluParams { X = Own(x, nameof(x)).Pointer, Y = Own(y, nameof(y)).Pointer, N = x.Length });
    }

    public void GatedResidualAdd(Tensor x, Tensor gate, Tensor y)
    {
        OpShapes.Length(gate, x.Columns, nameof(gate));
        OpShapes.Matrix(y, x.Rows, x.Columns, nameof(y));
        if (x.Length == 0) return;
        _device.Launch("gated_residual", Elementwise(x.Length), new Dim3(ElementwiseThreads), 0, new GatedResidualParams
        {
            X = Own(x, nameof(x)).Pointer,
            Gate = Own(gate, nameof(gate)).Pointer,
            Y = Own(y, nameof(y)).Pointer,
            Rows = x.Rows,
            Cols = x.Columns,
        });
    }

    public void PluckerRays(in Pose pose, in Intrinsics intrinsics, Tensor rays)
    {
        var (h, w) = OpShapes.Image(rays, 6, nameof(rays));
        if (h != intrinsics.Height || w != intrinsics.Width)
            throw new ArgumentException($"rays {rays.ShapeText} do not match intrinsics {intrinsics.Width}x{intrinsics.Height}", nameof(rays));
        if (h * w == 0) return;
        _device.Launch("plucker_rays", Elementwise(h * w, 128), new Dim3(128), 0, PluckerParams.Create(Own(rays, nameof(rays)).Pointer, pose, intrinsics));
    }

    public void PatchifyWithRays(Tensor image, Tensor rays, int patch, Tensor tokens)
    {
        OpShapes.Patchify(image, rays, patch, tokens);
        if (tokens.Length == 0) return;
        _device.Launch("patchify_with_rays", Elementwise(tokens.Length), new Dim3(ElementwiseThreads), 0, new PatchifyParams
        {
            Image = Own(image, nameof(image)).Pointer,
            Rays = Own(rays, nameof(rays)).Pointer,
            Tokens = Own(tokens, nameof(tokens)).Pointer,
            Height = image.Shape[0],
            Width = image.Shape[1],
            Patch = patch,
        });
    }

    public void Unpatchify(Tensor patches, int patch, Tensor image)
    {
        OpShapes.Unpatchify(patches, patch, image);
        if (image.Length == 0) return;
        _device.Launch("unpatchify", Elementwise(image.Length), new Dim3(ElementwiseThreads), 0, new UnpatchifyParams
        {
            Patches = Own(patches, nameof(patches)).Pointer,
            Image = Own(image, nameof(image)).Pointer,
            Height = image.Shape[0],
            Width = image.Shape[1],
            Patch = patch,
        });
    }

    public void SamplerStep(Tensor x, Tensor xPred, float t, float tNext)
    {
        OpShapes.SamplerStep(x, xPred, t, tNext);
        if (x.Length == 0) return;
        float step = (tNext - t) / (1f - t); // the CPU engine's expression, so both step alike
        _device.Launch("sampler_step", Elementwise(x.Length), new Dim3(ElementwiseThreads), 0,
            new SamplerStepParams { X = Own(x, nameof(x)).Pointer, XPred = Own(xPred, nameof(xPred)).Pointer, N = x.Length, Step = step });
    }

    public void Copy(Tensor source, Tensor destination)
    {
        OpShapes.Length(destination, source.Length, nameof(destination));
        var s = Own(source, nameof(source));
        var d = Own(destination, nameof(destination));
        if (source.Length > 0) _device.Copy(s.Memory, s.ByteOffset, d.Memory, d.ByteOffset, (long)source.Length * sizeof(float));
    }

    public void Dispose()
    {
        if (_ownsDevice) _device.Dispose();
    }

    private static Dim3 Elementwise(int n, int threads = ElementwiseThreads) =>
        new((uint)Math.Min((n + threads - 1) / threads, MaxElementwiseBlocks));

    private CudaTensor Own(Tensor t, string name)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        return t is CudaTensor c && c.Owner == _root
            ? c
            : throw new ArgumentException($"{name} {t.ShapeText} belongs to another backend ({t.GetType().Name}); upload it to this one", name);
    }

    /// <summary>
    /// A tensor in device memory. Views share their parent's allocation; the allocation is freed
    /// when the last tensor using it is collected (Tensor has no Dispose in the interface).
    /// </summary>
    private sealed class CudaTensor : Tensor
    {
        public CudaTensor(CudaBackend owner, int[] shape) : base(shape)
        {
            Owner = owner._root;
            Memory = owner._device.Allocate(Math.Max(1L, Length) * sizeof(float));
            ByteOffset = 0;
        }

        private CudaTensor(CudaBackend owner, DeviceMemory memory, long byteOffset, int[] shape) : base(shape)
        {
            Owner = owner;
            Memory = memory;
            ByteOffset = byteOffset;
        }

        public CudaBackend Owner { get; }

        public DeviceMemory Memory { get; }

        public long ByteOffset { get; }

        public CuDevicePtr Pointer => Memory.Pointer.Offset(ByteOffset);

        public override Tensor View(int offset, params int[] shape)
        {
            var view = new CudaTensor(Owner, Memory, ByteOffset + (long)offset * sizeof(float), shape);
            if (offset < 0 || offset + view.Length > Length)
                throw new ArgumentOutOfRangeException(nameof(offset), $"view of {view.ShapeText} at offset {offset} does not fit in {ShapeText}");
            return view;
        }
    }

    private sealed class CudaLinearWeight(CudaBackend owner, GemmPrecision precision, DeviceMemory weight, DeviceMemory? bias, int inFeatures, int outFeatures)
        : LinearWeight(inFeatures, outFeatures, bias is not null)
    {
        public CudaBackend Owner { get; } = owner;

        public GemmPrecision Precision { get; } = precision;

        public DeviceMemory Weight { get; } = weight;

        public DeviceMemory? Bias { get; } = bias;
    }
}
