// f32 GEMM of the CPU engine: y (M, N) = x (M, K) · W (K, N) + b, W packed once.
// Determinism contract (docs/decisions.md): every output is one fused-multiply-add chain,
// acc = b[j]; for k = 0..K-1: acc = fma(x[i,k], W[k,j], acc) — on every path and for any
// thread count (threads split output tiles, never K). One microkernel written over
// IFloatVector: 6 rows × 2 vectors (AVX-512 6×32 in 12 zmm, AVX2 6×16 in 12 ymm, scalar 6×2),
// and a 1-row form for the row tail and GEMVs.
using System.Runtime.CompilerServices;
using Rtfm.Compute.Cpu.Kernels;
using Rtfm.Compute.Cpu.Threading;

namespace Rtfm.Compute.Cpu.Gemm;

public static unsafe class CpuGemm
{
    private const int Mr = 6;
    private const int Nr = PackedWeight.PanelWidth;

    /// <summary>
    /// K block for large K: one pass per block keeps a (Kc, 32) panel slice in L1 and the
    /// (M, Kc) slice of x in L2. Later passes reload the running sums from y, so each output
    /// is still one fma chain in k order (the determinism contract holds).
    /// </summary>
    private const int Kc = 128;

    /// <summary>Row blocks per scheduling chunk (see the tile order in Execute).</summary>
    private const int ChunkBlocks = 8;

    /// <summary>K above which the GEMM runs in K blocks.</summary>
    private const int KBlockThreshold = 512;

    [ThreadStatic] private static GemmWork? t_work;

    /// <summary>Packs W (K, N) row-major and an optional bias (N) into panels.</summary>
    public static PackedWeight Pack(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int k, int n)
    {
        if (k <= 0 || n <= 0) throw new ArgumentOutOfRangeException(nameof(k), $"weight shape ({k}, {n}) must be positive");
        if (weight.Length != (long)k * n) throw new ArgumentException($"weight has {weight.Length} floats, expected {k}x{n} = {(long)k * n}", nameof(weight));
        if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"bias has {bias.Length} floats, expected {n}", nameof(bias));
        int panels = (n + Nr - 1) / Nr;
        var packed = GC.AllocateArray<float>(checked(panels * k * Nr), pinned: true);
        for (int p = 0; p < panels; p++)
        {
            int cols = Math.Min(Nr, n - p * Nr);
            for (int kk = 0; kk < k; kk++)
                weight.Slice(kk * n + p * Nr, cols).CopyTo(packed.AsSpan((p * k + kk) * Nr, cols));
        }
        var b = GC.AllocateArray<float>(panels * Nr, pinned: true);
        bias.CopyTo(b);
        return new PackedWeight(k, n, packed, b, !bias.IsEmpty);
    }

    /// <summary>y (M, N) at yOffset = x (M, K) at xOffset · W + b. Overwrites y.</summary>
    public static void Multiply(CpuWorkerPool pool, CpuIsa isa, float[] x, int xOffset, int m, PackedWeight w, float[] y, int yOffset)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(y);
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m));
        if (xOffset < 0 || (long)xOffset + (long)m * w.K > x.Length) throw new ArgumentException($"x holds {x.Length} floats; ({m}, {w.K}) at offset {xOffset} does not fit", nameof(x));
        if (yOffset < 0 || (long)yOffset + (long)m * w.N > y.Length) throw new ArgumentException($"y holds {y.Length} floats; ({m}, {w.N}) at offset {yOffset} does not fit", nameof(y));
        if (m == 0) return;
        isa = CpuIsaSupport.Resolve(isa);
        var work = t_work ??= new GemmWork();
        work.Set(isa, x, xOffset, m, w, y, yOffset);
        try
        {
            int tiles = work.RowBlocks * w.PanelCount;
            int kBlock = w.K > KBlockThreshold ? Kc : w.K;
            for (int k0 = 0; k0 < w.K; k0 += kBlock)
            {
                work.SetKRange(k0, Math.Min(kBlock, w.K - k0));
                if (tiles == 1 || pool.Threads == 1) for (int i = 0; i < tiles; i++) work.Execute(i);
                else pool.For(tiles, work);
            }
        }
        finally
        {
            work.Clear();
        }
    }

    /// <summary>One tile = (row block of up to 6 rows) × (one 32-column panel).</summary>
    private sealed class GemmWork : IParallelWork
    {
        private CpuIsa _isa;
        private float[]? _x, _y;
        private int _xOffset, _yOffset, _m, _k0, _kc;
        private PackedWeight? _w;

        public int RowBlocks => (_m + Mr - 1) / Mr;

        public void Set(CpuIsa isa, float[] x, int xOffset, int m, PackedWeight w, float[] y, int yOffset)
        {
            _isa = isa; _x = x; _xOffset = xOffset; _m = m; _w = w; _y = y; _yOffset = yOffset;
        }

        public void SetKRange(int k0, int kc) { _k0 = k0; _kc = kc; }

        public void Clear() { _x = _y = null; _w = null; }

        public void Execute(int index)
        {
            var w = _w!;
            // Tile order: chunks of 8 row blocks (48 rows of x, kept in cache), within a chunk
            // panel by panel, so consecutive tiles share a panel slice too.
            int panels = w.PanelCount;
            int chunk = index / (ChunkBlocks * panels), within = index % (ChunkBlocks * panels);
            int chunkBlocks = Math.Min(ChunkBlocks, RowBlocks - chunk * ChunkBlocks);
            int panel = within / chunkBlocks, block = chunk * ChunkBlocks + within % chunkBlocks;
            int row0 = block * Mr, rows = Math.Min(Mr, _m - row0);
            int col0 = panel * Nr, cols = Math.Min(Nr, w.N - col0);
            int k = w.K, n = w.N;
            // The ragged right panel is not K-blocked: it runs whole in the first pass through a
            // tile buffer (its running sums have nowhere to live between passes).
            bool direct = cols == Nr;
            int k0 = _k0, kc = _kc;
            if (!direct)
            {
                if (k0 != 0) return;
                kc = k;
            }
            bool resume = k0 != 0;
            float* tile = stackalloc float[Mr * Nr];
            fixed (float* xBase = &_x![_xOffset])
            fixed (float* yBase = &_y![_yOffset])
            {
                float* a = xBase + (long)row0 * k + k0;
                float* b = w.PanelPointer(panel) + (long)k0 * Nr;
                float* bias = w.BiasPointer(panel);
                float* c = direct ? yBase + (long)row0 * n + col0 : tile;
                int ldc = direct ? n : Nr;
                switch (_isa)
                {
                    case CpuIsa.Avx512: Tile<F512>(a, k, kc, b, bias, c, ldc, rows, resume); break;
                    case CpuIsa.Avx2: Tile<F256>(a, k, kc, b, bias, c, ldc, rows, resume); break;
                    default: Tile<F1>(a, k, kc, b, bias, c, ldc, rows, resume); break;
                }
                if (!direct)
                    for (int r = 0; r < rows; r++)
                        new ReadOnlySpan<float>(tile + r * Nr, cols).CopyTo(new Span<float>(yBase + (long)(row0 + r) * n + col0, cols));
            }
        }
    }

    /// <summary>A (rows ≤ 6) × 32 tile as strips of 2·T.Count columns: 1 strip on AVX-512, 2 on AVX2, 16 scalar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<T>(float* a, int lda, int k, float* b, float* bias, float* c, int ldc, int rows, bool resume) where T : unmanaged, IFloatVector<T>
    {
        int strip = 2 * T.Count;
        for (int j = 0; j < Nr; j += strip)
        {
            if (rows == Mr) Kernel6<T>(a, lda, k, b + j, bias + j, c + j, ldc, resume);
            else for (int r = 0; r < rows; r++) Kernel1<T>(a + (long)r * lda, k, b + j, bias + j, c + j + r * ldc, resume);
        }
    }

    /// <summary>6 rows × 2·T.Count columns: 12 accumulators, one fma chain per output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6<T>(float* a, int lda, int k, float* b, float* bias, float* c, int ldc, bool resume) where T : unmanaged, IFloatVector<T>
    {
        int l = T.Count;
        T c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (resume)
        {
            float* r = c;
            c00 = T.Load(r); c01 = T.Load(r + l); r += ldc;
            c10 = T.Load(r); c11 = T.Load(r + l); r += ldc;
            c20 = T.Load(r); c21 = T.Load(r + l); r += ldc;
            c30 = T.Load(r); c31 = T.Load(r + l); r += ldc;
            c40 = T.Load(r); c41 = T.Load(r + l); r += ldc;
            c50 = T.Load(r); c51 = T.Load(r + l);
        }
        else
        {
            T b0 = T.Load(bias), b1 = T.Load(bias + l);
            c00 = b0; c01 = b1; c10 = b0; c11 = b1; c20 = b0; c21 = b1;
            c30 = b0; c31 = b1; c40 = b0; c41 = b1; c50 = b0; c51 = b1;
        }
        float* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        for (int p = 0; p < k; p++, b += Nr)
        {
            T w0 = T.Load(b), w1 = T.Load(b + l);
            T v = T.Broadcast(a0[p]);
            c00 = T.Fma(v, w0, c00); c01 = T.Fma(v, w1, c01);
            v = T.Broadcast(a1[p]);
            c10 = T.Fma(v, w0, c10); c11 = T.Fma(v, w1, c11);
            v = T.Broadcast(a2[p]);
            c20 = T.Fma(v, w0, c20); c21 = T.Fma(v, w1, c21);
            v = T.Broadcast(a3[p]);
            c30 = T.Fma(v, w0, c30); c31 = T.Fma(v, w1, c31);
            v = T.Broadcast(a4[p]);
            c40 = T.Fma(v, w0, c40); c41 = T.Fma(v, w1, c41);
            v = T.Broadcast(a5[p]);
            c50 = T.Fma(v, w0, c50); c51 = T.Fma(v, w1, c51);
        }
        T.Store(c00, c); T.Store(c01, c + l); c += ldc;
        T.Store(c10, c); T.Store(c11, c + l); c += ldc;
        T.Store(c20, c); T.Store(c21, c + l); c += ldc;
        T.Store(c30, c); T.Store(c31, c + l); c += ldc;
        T.Store(c40, c); T.Store(c41, c + l); c += ldc;
        T.Store(c50, c); T.Store(c51, c + l);
    }

    /// <summary>1 row × 2·T.Count columns (row tails and GEMVs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel1<T>(float* a, int k, float* b, float* bias, float* c, bool resume) where T : unmanaged, IFloatVector<T>
    {
        int l = T.Count;
        float* init = resume ? c : bias;
        T c0 = T.Load(init), c1 = T.Load(init + l);
        for (int p = 0; p < k; p++, b += Nr)
        {
            T v = T.Broadcast(a[p]);
            c0 = T.Fma(v, T.Load(b), c0);
            c1 = T.Fma(v, T.Load(b + l), c1);
        }
        T.Store(c0, c);
        T.Store(c1, c + l);
    }
}
