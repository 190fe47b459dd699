// The CPU engine: multithreaded, SIMD (AVX-512, AVX2 or scalar, chosen at start or forced),
// bit-identical across thread counts and ISA paths (docs/decisions.md). GEMM packs weights
// once at load; attention streams over context blocks with an online softmax; scratch is
// allocated once, so a frame in steady state allocates nothing. One caller at a time (the
// worker pool refuses concurrent loops): concurrent sessions need a queue in front of it.
using Rtfm.Compute.Cpu.Gemm;
using Rtfm.Compute.Cpu.Kernels;
using Rtfm.Compute.Cpu.Threading;
using Rtfm.Compute.Host;
using Rtfm.Core.Geometry;

namespace Rtfm.Compute.Cpu;

/// <summary>Options of the CPU engine.</summary>
/// <param name="Threads">Worker threads including the caller; 0 = one per core.</param>
/// <param name="Isa">SIMD path; Auto picks the best this CPU supports.</param>
public sealed record CpuEngineOptions(int Threads = 0, CpuIsa Isa = CpuIsa.Auto);

public sealed unsafe class CpuBackend : IComputeBackend
{
    /// <summary>Below this many elements an element-wise op runs on the calling thread (a dispatch costs more).</summary>
    private const int ParallelThreshold = 32 * 1024;

    private readonly CpuWorkerPool _pool;
    private readonly AttentionWork _attention;
    private readonly RowWork _rows;

    public CpuBackend(CpuEngineOptions? options = null)
    {
        options ??= new CpuEngineOptions();
        Isa = CpuIsaSupport.Resolve(options.Isa);
        _pool = new CpuWorkerPool(options.Threads);
        _attention = new AttentionWork(this);
        _rows = new RowWork(this);
    }

    public CpuIsa Isa { get; }

    public int Threads => _pool.Threads;

    public string Name => $"cpu-{Isa.ToString().ToLowerInvariant()}x{Threads}";

    public OpCounters Counters { get; } = new();

    public Tensor Allocate(params int[] shape) => new HostTensor(shape);

    public void Upload(Tensor destination, ReadOnlySpan<float> source) => HostTensor.Upload(destination, source);

    public void Download(Tensor source, Span<float> destination) => HostTensor.Download(source, destination);

    public LinearWeight PrepareLinear(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int inFeatures, int outFeatures) =>
        new CpuLinearWeight(CpuGemm.Pack(weight, bias, inFeatures, outFeatures));

    public void Linear(Tensor x, LinearWeight weight, Tensor y)
    {
        OpShapes.Linear(x, weight, y);
        var w = weight as CpuLinearWeight ?? throw new ArgumentException($"weight was prepared by another backend ({weight.GetType().Name})", nameof(weight));
        var hx = HostTensor.From(x, nameof(x));
        var hy = HostTensor.From(y, nameof(y));
        CpuGemm.Multiply(_pool, Isa, hx.Storage, hx.Offset, x.Rows, w.Packed, hy.Storage, hy.Offset);
        Counters.AddLinear(x.Rows, w.InFeatures, w.OutFeatures);
    }

    public void Attention(Tensor queries, ReadOnlySpan<KvBlockView> context, Tensor selfKeys, Tensor selfValues, Tensor output, int heads)
    {
        var (tq, d, keys) = OpShapes.Attention(queries, context, selfKeys, selfValues, output, heads);
        _attention.Run(queries, context, selfKeys, selfValues, output, heads, tq, d);
        Counters.AddAttention(tq, keys, heads);
    }

    public void LayerNormModulate(Tensor x, Tensor shift, Tensor scale, Tensor y, float eps)
    {
        int d = x.Columns;
        OpShapes.Length(shift, d, nameof(shift));
        OpShapes.Length(scale, d, nameof(scale));
        OpShapes.Matrix(y, x.Rows, d, nameof(y));
        _rows.Run(RowOp.LayerNorm, x, y, shift, scale, eps);
    }

    public void Gelu(Tensor x, Tensor y)
    {
        OpShapes.Length(y, x.Length, nameof(y));
        _rows.Run(RowOp.Gelu, x, y, null, null, 0f);
    }

    public void GatedResidualAdd(Tensor x, Tensor gate, Tensor y)
    {
        OpShapes.Length(gate, x.Columns, nameof(gate));
        OpShapes.Matrix(y, x.Rows, x.Columns, nameof(y));
        _rows.Run(RowOp.GatedResidual, x, y, gate, null, 0f);
    }

    public void PluckerRays(in Pose pose, in Intrinsics intrinsics, Tensor rays) => HostTensor.WritePluckerRays(pose, intrinsics, rays);

    public void PatchifyWithRays(Tensor image, Tensor rays, int patch, Tensor tokens)
    {
        OpShapes.Patchify(image, rays, patch, tokens);
        int w = image.Shape[1], pw = w / patch, width = patch * patch * 9;
        var img = HostTensor.From(image, nameof(image)).Span;
        var ray = HostTensor.From(rays, nameof(rays)).Span;
        var tok = HostTensor.From(tokens, nameof(tokens)).Span;
        for (int t = 0; t < tokens.Rows; t++)
        {
            int py0 = t / pw * patch, px0 = t % pw * patch;
            var dst = tok.Slice(t * width, width);
            for (int py = 0; py < patch; py++)
            {
                img.Slice(((py0 + py) * w + px0) * 3, patch * 3).CopyTo(dst.Slice(py * patch * 3));
                ray.Slice(((py0 + py) * w + px0) * 6, patch * 6).CopyTo(dst.Slice(patch * patch * 3 + py * patch * 6));
            }
        }
    }

    public void Unpatchify(Tensor patches, int patch, Tensor image)
    {
        OpShapes.Unpatchify(patches, patch, image);
        int w = image.Shape[1], pw = w / patch, width = patch * patch * 3;
        var img = HostTensor.From(image, nameof(image)).Span;
        var src = HostTensor.From(patches, nameof(patches)).Span;
        for (int t = 0; t < patches.Rows; t++)
        {
            int py0 = t / pw * patch, px0 = t % pw * patch;
            for (int py = 0; py < patch; py++)
                src.Slice(t * width + py * patch * 3, patch * 3).CopyTo(img.Slice(((py0 + py) * w + px0) * 3));
        }
    }

    public void SamplerStep(Tensor x, Tensor xPred, float t, float tNext)
    {
        OpShapes.SamplerStep(x, xPred, t, tNext);
        float a = (tNext - t) / (1f - t);
        var hx = HostTensor.From(x, nameof(x));
        var hp = HostTensor.From(xPred, nameof(xPred));
        fixed (float* px = hx.Span)
        fixed (float* pp = hp.Span)
        {
            switch (Isa)
            {
                case CpuIsa.Avx512: RowKernels.SamplerStep<F512>(px, pp, a, x.Length); break;
                case CpuIsa.Avx2: RowKernels.SamplerStep<F256>(px, pp, a, x.Length); break;
                default: RowKernels.SamplerStep<F1>(px, pp, a, x.Length); break;
            }
        }
    }

    public void Copy(Tensor source, Tensor destination) => HostTensor.Copy(source, destination);

    public void Dispose() => _pool.Dispose();

    private sealed class CpuLinearWeight(PackedWeight packed) : LinearWeight(packed.K, packed.N, packed.HasBias)
    {
        public PackedWeight Packed { get; } = packed;
    }

    private enum RowOp { LayerNorm, Gelu, GatedResidual }

    /// <summary>Row-parallel element-wise ops; one reusable instance, so a call allocates nothing.</summary>
    private sealed class RowWork(CpuBackend owner) : IParallelWork
    {
        private RowOp _op;
        private HostTensor? _x, _y, _a, _b;
        private float _eps;
        private int _rowsPerTask;

        public void Run(RowOp op, Tensor x, Tensor y, Tensor? a, Tensor? b, float eps)
        {
            _op = op;
            _x = HostTensor.From(x, nameof(x));
            _y = HostTensor.From(y, nameof(y));
            _a = a is null ? null : HostTensor.From(a, nameof(a));
            _b = b is null ? null : HostTensor.From(b, nameof(b));
            _eps = eps;
            int rows = x.Rows;
            int tasks = x.Length >= ParallelThreshold ? Math.Min(rows, owner.Threads * 4) : 1;
            _rowsPerTask = (rows + tasks - 1) / tasks;
            tasks = rows == 0 ? 0 : (rows + _rowsPerTask - 1) / _rowsPerTask;
            if (tasks <= 1) { if (rows > 0) Execute(0); }
            else owner._pool.For(tasks, this);
            _x = _y = _a = _b = null;
        }

        public void Execute(int index)
        {
            int cols = _x!.Columns;
            int r0 = index * _rowsPerTask, r1 = Math.Min(_x.Rows, r0 + _rowsPerTask);
            fixed (float* px = _x.Span)
            fixed (float* py = _y!.Span)
            fixed (float* pa = _a is null ? default : _a.Span)
            fixed (float* pb = _b is null ? default : _b.Span)
            {
                switch (owner.Isa)
                {
                    case CpuIsa.Avx512: Rows<F512>(px, py, pa, pb, r0, r1, cols); break;
                    case CpuIsa.Avx2: Rows<F256>(px, py, pa, pb, r0, r1, cols); break;
                    default: Rows<F1>(px, py, pa, pb, r0, r1, cols); break;
                }
            }
        }

        private void Rows<T>(float* x, float* y, float* a, float* b, int r0, int r1, int cols) where T : unmanaged, IFloatVector<T>
        {
            switch (_op)
            {
                case RowOp.LayerNorm:
                    for (int r = r0; r < r1; r++) RowKernels.LayerNormModulateRow<T>(x + (long)r * cols, a, b, y + (long)r * cols, cols, _eps);
                    break;
                case RowOp.Gelu:
                    RowKernels.Gelu<T>(x + (long)r0 * cols, y + (long)r0 * cols, (r1 - r0) * cols);
                    break;
                case RowOp.GatedResidual:
                    for (int r = r0; r < r1; r++) RowKernels.GatedResidualRow<T>(x + (long)r * cols, a, y + (long)r * cols, cols);
                    break;
            }
        }
    }

    /// <summary>Attention tasks = heads × query tiles; scratch per worker thread, allocated once.</summary>
    private sealed class AttentionWork(CpuBackend owner) : IParallelWork
    {
        [ThreadStatic] private static float[]? t_scratch;

        private readonly List<(HostTensor K, HostTensor V)> _blocks = [];
        private HostTensor? _q, _o;
        private int _heads, _tq, _d, _dh, _lanes, _tilesPerHead;
        private float _scale;

        public void Run(Tensor q, ReadOnlySpan<KvBlockView> context, Tensor k, Tensor v, Tensor o, int heads, int tq, int d)
        {
            _blocks.Clear();
            foreach (var blk in context) _blocks.Add((HostTensor.From(blk.Keys, "context keys"), HostTensor.From(blk.Values, "context values")));
            _blocks.Add((HostTensor.From(k, "selfKeys"), HostTensor.From(v, "selfValues")));
            _q = HostTensor.From(q, nameof(q));
            _o = HostTensor.From(o, nameof(o));
            _heads = heads;
            _tq = tq;
            _d = d;
            _dh = d / heads;
            _scale = 1f / MathF.Sqrt(_dh);
            _lanes = owner.Isa switch { CpuIsa.Avx512 => 16, CpuIsa.Avx2 => 8, _ => 1 };
            _tilesPerHead = (tq + _lanes - 1) / _lanes;
            owner._pool.For(heads * _tilesPerHead, this);
            _q = _o = null;
        }

        public void Execute(int index)
        {
            int h = index / _tilesPerHead, i0 = index % _tilesPerHead * _lanes;
            int need = _dh * _lanes * 2 + AttentionKernel.Chunk * _lanes;
            var scratch = t_scratch is { } s && s.Length >= need ? s : (t_scratch = new float[Math.Max(need, 64 * 16 * 2 + AttentionKernel.Chunk * 16)]);
            int blockCount = _blocks.Count;
            Span<AttentionKernel.KeyBlock> blockSpan = blockCount <= 64 ? stackalloc AttentionKernel.KeyBlock[blockCount] : new AttentionKernel.KeyBlock[blockCount];
            for (int b = 0; b < blockCount; b++)
            {
                // Host tensors live on the pinned object heap, so their addresses are stable.
                var (kt, vt) = _blocks[b];
                blockSpan[b] = new AttentionKernel.KeyBlock { Keys = kt.Pointer, Values = vt.Pointer, Rows = kt.Rows };
            }
            fixed (AttentionKernel.KeyBlock* blocks = blockSpan)
            fixed (float* pq = _q!.Span)
            fixed (float* po = _o!.Span)
            fixed (float* ps = scratch)
            {
                int full = Math.Min(_lanes, _tq - i0);
                if (full == _lanes)
                {
                    switch (owner.Isa)
                    {
                        case CpuIsa.Avx512: Tile<F512>(pq, po, ps, blocks, blockCount, h, i0); break;
                        case CpuIsa.Avx2: Tile<F256>(pq, po, ps, blocks, blockCount, h, i0); break;
                        default: Tile<F1>(pq, po, ps, blocks, blockCount, h, i0); break;
                    }
                }
                else
                {
                    for (int i = i0; i < i0 + full; i++) Tile<F1>(pq, po, ps, blocks, blockCount, h, i);
                }
            }
        }

        private void Tile<T>(float* q, float* o, float* scratch, AttentionKernel.KeyBlock* blocks, int blockCount, int h, int i0) where T : unmanaged, IFloatVector<T>
        {
            int l = T.Count, dh = _dh, d = _d, off = h * dh;
            float* qt = scratch, ot = scratch + dh * l, sc = scratch + 2 * dh * l;
            for (int lane = 0; lane < l; lane++)
                for (int c = 0; c < dh; c++) qt[c * l + lane] = q[(long)(i0 + lane) * d + off + c];
            AttentionKernel.AttendTile<T>(qt, ot, sc, blocks, blockCount, d, dh, off, _scale);
            for (int lane = 0; lane < l; lane++)
                for (int c = 0; c < dh; c++) o[(long)(i0 + lane) * d + off + c] = ot[c * l + lane];
        }
    }
}
