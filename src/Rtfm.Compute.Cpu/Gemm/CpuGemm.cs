// f32 GEMM of the CPU engine: y (M, N) = x (M, K) · W (K, N) + b, W packed once.
// Determinism contract (docs/decisions.md): every output is one fused-multiply-add chain,
// acc = b[j]; for k = 0..K-1: acc = fma(x[i,k], W[k,j], acc) — on every path and for any
// thread count (threads split output tiles, never K). Microkernels: AVX-512 6×32 (12 zmm
// accumulators), AVX2 6×16 (12 ymm), scalar; 1-row kernels for the row tail and GEMVs.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
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
                    case CpuIsa.Avx512:
                        if (rows == Mr) Kernel6x32Avx512(a, k, kc, b, bias, c, ldc, resume);
                        else for (int r = 0; r < rows; r++) Kernel1x32Avx512(a + (long)r * k, kc, b, bias, c + r * ldc, resume);
                        break;
                    case CpuIsa.Avx2:
                        if (rows == Mr) { Kernel6x16Avx2(a, k, kc, b, bias, c, ldc, resume); Kernel6x16Avx2(a, k, kc, b + 16, bias + 16, c + 16, ldc, resume); }
                        else for (int r = 0; r < rows; r++) Kernel1x32Avx2(a + (long)r * k, kc, b, bias, c + r * ldc, resume);
                        break;
                    default:
                        for (int r = 0; r < rows; r++) KernelScalar(a + (long)r * k, kc, b, bias, c + r * ldc, resume);
                        break;
                }
                if (!direct)
                    for (int r = 0; r < rows; r++)
                        new ReadOnlySpan<float>(tile + r * Nr, cols).CopyTo(new Span<float>(yBase + (long)(row0 + r) * n + col0, cols));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x32Avx512(float* a, int lda, int k, float* b, float* bias, float* c, int ldc, bool resume)
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (resume)
        {
            float* r = c;
            c00 = Vector512.Load(r); c01 = Vector512.Load(r + 16); r += ldc;
            c10 = Vector512.Load(r); c11 = Vector512.Load(r + 16); r += ldc;
            c20 = Vector512.Load(r); c21 = Vector512.Load(r + 16); r += ldc;
            c30 = Vector512.Load(r); c31 = Vector512.Load(r + 16); r += ldc;
            c40 = Vector512.Load(r); c41 = Vector512.Load(r + 16); r += ldc;
            c50 = Vector512.Load(r); c51 = Vector512.Load(r + 16);
        }
        else
        {
            Vector512<float> b0 = Vector512.Load(bias), b1 = Vector512.Load(bias + 16);
            c00 = b0; c01 = b1; c10 = b0; c11 = b1; c20 = b0; c21 = b1;
            c30 = b0; c31 = b1; c40 = b0; c41 = b1; c50 = b0; c51 = b1;
        }
        float* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        for (int p = 0; p < k; p++)
        {
            Vector512<float> w0 = Vector512.Load(b), w1 = Vector512.Load(b + 16);
            b += Nr;
            Vector512<float> v = Vector512.Create(a0[p]);
            c00 = Vector512.FusedMultiplyAdd(v, w0, c00); c01 = Vector512.FusedMultiplyAdd(v, w1, c01);
            v = Vector512.Create(a1[p]);
            c10 = Vector512.FusedMultiplyAdd(v, w0, c10); c11 = Vector512.FusedMultiplyAdd(v, w1, c11);
            v = Vector512.Create(a2[p]);
            c20 = Vector512.FusedMultiplyAdd(v, w0, c20); c21 = Vector512.FusedMultiplyAdd(v, w1, c21);
            v = Vector512.Create(a3[p]);
            c30 = Vector512.FusedMultiplyAdd(v, w0, c30); c31 = Vector512.FusedMultiplyAdd(v, w1, c31);
            v = Vector512.Create(a4[p]);
            c40 = Vector512.FusedMultiplyAdd(v, w0, c40); c41 = Vector512.FusedMultiplyAdd(v, w1, c41);
            v = Vector512.Create(a5[p]);
            c50 = Vector512.FusedMultiplyAdd(v, w0, c50); c51 = Vector512.FusedMultiplyAdd(v, w1, c51);
        }
        c00.Store(c); c01.Store(c + 16); c += ldc;
        c10.Store(c); c11.Store(c + 16); c += ldc;
        c20.Store(c); c21.Store(c + 16); c += ldc;
        c30.Store(c); c31.Store(c + 16); c += ldc;
        c40.Store(c); c41.Store(c + 16); c += ldc;
        c50.Store(c); c51.Store(c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel1x32Avx512(float* a, int k, float* b, float* bias, float* c, bool resume)
    {
        float* init = resume ? c : bias;
        Vector512<float> c0 = Vector512.Load(init), c1 = Vector512.Load(init + 16);
        for (int p = 0; p < k; p++, b += Nr)
        {
            Vector512<float> v = Vector512.Create(a[p]);
            c0 = Vector512.FusedMultiplyAdd(v, Vector512.Load(b), c0);
            c1 = Vector512.FusedMultiplyAdd(v, Vector512.Load(b + 16), c1);
        }
        c0.Store(c);
        c1.Store(c + 16);
    }

    /// <summary>6 rows × 16 columns of a 32-wide panel (b and bias already offset to the half).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16Avx2(float* a, int lda, int k, float* b, float* bias, float* c, int ldc, bool resume)
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (resume)
        {
            float* r = c;
            c00 = Vector256.Load(r); c01 = Vector256.Load(r + 8); r += ldc;
            c10 = Vector256.Load(r); c11 = Vector256.Load(r + 8); r += ldc;
            c20 = Vector256.Load(r); c21 = Vector256.Load(r + 8); r += ldc;
            c30 = Vector256.Load(r); c31 = Vector256.Load(r + 8); r += ldc;
            c40 = Vector256.Load(r); c41 = Vector256.Load(r + 8); r += ldc;
            c50 = Vector256.Load(r); c51 = Vector256.Load(r + 8);
        }
        else
        {
            Vector256<float> b0 = Vector256.Load(bias), b1 = Vector256.Load(bias + 8);
            c00 = b0; c01 = b1; c10 = b0; c11 = b1; c20 = b0; c21 = b1;
            c30 = b0; c31 = b1; c40 = b0; c41 = b1; c50 = b0; c51 = b1;
        }
        float* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        for (int p = 0; p < k; p++)
        {
            Vector256<float> w0 = Vector256.Load(b), w1 = Vector256.Load(b + 8);
            b += Nr;
            Vector256<float> v = Vector256.Create(a0[p]);
            c00 = Vector256.FusedMultiplyAdd(v, w0, c00); c01 = Vector256.FusedMultiplyAdd(v, w1, c01);
            v = Vector256.Create(a1[p]);
            c10 = Vector256.FusedMultiplyAdd(v, w0, c10); c11 = Vector256.FusedMultiplyAdd(v, w1, c11);
            v = Vector256.Create(a2[p]);
            c20 = Vector256.FusedMultiplyAdd(v, w0, c20); c21 = Vector256.FusedMultiplyAdd(v, w1, c21);
            v = Vector256.Create(a3[p]);
            c30 = Vector256.FusedMultiplyAdd(v, w0, c30); c31 = Vector256.FusedMultiplyAdd(v, w1, c31);
            v = Vector256.Create(a4[p]);
            c40 = Vector256.FusedMultiplyAdd(v, w0, c40); c41 = Vector256.FusedMultiplyAdd(v, w1, c41);
            v = Vector256.Create(a5[p]);
            c50 = Vector256.FusedMultiplyAdd(v, w0, c50); c51 = Vector256.FusedMultiplyAdd(v, w1, c51);
        }
        c00.Store(c); c01.Store(c + 8); c += ldc;
        c10.Store(c); c11.Store(c + 8); c += ldc;
        c20.Store(c); c21.Store(c + 8); c += ldc;
        c30.Store(c); c31.Store(c + 8); c += ldc;
        c40.Store(c); c41.Store(c + 8); c += ldc;
        c50.Store(c); c51.Store(c + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel1x32Avx2(float* a, int k, float* b, float* bias, float* c, bool resume)
    {
        float* init = resume ? c : bias;
        Vector256<float> c0 = Vector256.Load(init), c1 = Vector256.Load(init + 8), c2 = Vector256.Load(init + 16), c3 = Vector256.Load(init + 24);
        for (int p = 0; p < k; p++, b += Nr)
        {
            Vector256<float> v = Vector256.Create(a[p]);
            c0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(b), c0);
            c1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(b + 8), c1);
            c2 = Vector256.FusedMultiplyAdd(v, Vector256.Load(b + 16), c2);
            c3 = Vector256.FusedMultiplyAdd(v, Vector256.Load(b + 24), c3);
        }
        c0.Store(c); c1.Store(c + 8); c2.Store(c + 16); c3.Store(c + 24);
    }

    private static void KernelScalar(float* a, int k, float* b, float* bias, float* c, bool resume)
    {
        for (int j = 0; j < Nr; j++)
        {
            float acc = resume ? c[j] : bias[j];
            for (int p = 0; p < k; p++) acc = MathF.FusedMultiplyAdd(a[p], b[p * Nr + j], acc);
            c[j] = acc;
        }
    }
}
