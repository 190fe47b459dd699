// Linear layers: y (M, N) = x (M, K) · W (K, N) + b (N), optionally followed by GELU.
// C# reference: ReferenceBackend.Linear; params mirrored by Rtfm.Cuda.Kernels.GemmParams.
//   gemm_bf16_tc: x rounded to bf16 on load, W pre-packed as bf16 Wᵀ (N, K), f32 accumulate on
//                 tensor cores (ldmatrix + mma.sync m16n8k16). 64x64 block tile, 4 warps of
//                 32x32, K step 32.
//   gemm_f32:     the f32 fallback, SIMT. Each output accumulates k = 0..K-1 in order with one
//                 FMA per term starting from the bias: the order the interface specifies, so it
//                 reproduces the CPU engine's f32 result.
#include "rtfm_cuda.cuh"

struct GemmParams
{
    const float* x;      // (M, K) f32
    const void* weight;  // gemm_bf16_tc: (N, K) bf16 bits; gemm_f32: (K, N) f32
    const float* bias;   // (N) f32, or null
    float* y;            // (M, N) f32
    int m;
    int n;
    int k;
    int epilogue;        // 0: none, 1: GELU after the bias
};
static_assert(sizeof(GemmParams) == 48, "GemmParams must match the C# mirror");

#define RTFM_EPILOGUE_GELU 1

#define TC_BM 64
#define TC_BN 64
#define TC_BK 32
#define TC_PAD 8 // row stride 80 bytes: 16-byte aligned rows for ldmatrix, and the 8 rows of a matrix hit distinct banks
#define TC_THREADS 128

extern "C" __global__ void __launch_bounds__(TC_THREADS) gemm_bf16_tc(const GemmParams p)
{
    __shared__ __align__(16) unsigned short as[TC_BM][TC_BK + TC_PAD]; // x tile, [m][k]
    __shared__ __align__(16) unsigned short bs[TC_BN][TC_BK + TC_PAD]; // Wᵀ tile, [n][k]

    const unsigned short* w = (const unsigned short*)p.weight;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t = lane & 3;
    const int m0 = blockIdx.y * TC_BM, n0 = blockIdx.x * TC_BN;
    const int wm = (warp >> 1) * 32, wn = (warp & 1) * 32; // this warp's 32x32 quadrant

    float acc[2][4][4]; // [m16 tile][n8 tile][fragment]
    #pragma unroll
    for (int i = 0; i < 2; i++)
        #pragma unroll
        for (int j = 0; j < 4; j++)
            #pragma unroll
            for (int r = 0; r < 4; r++) acc[i][j][r] = 0.0f;

    for (int k0 = 0; k0 < p.k; k0 += TC_BK)
    {
        // Stage both tiles, zero outside the matrices so ragged M, N, K need no other case.
        for (int idx = tid; idx < TC_BM * TC_BK; idx += TC_THREADS)
        {
            int r = idx / TC_BK, c = idx % TC_BK;
            int gm = m0 + r, gk = k0 + c;
            as[r][c] = (gm < p.m && gk < p.k) ? rtfm_f32_to_bf16(p.x[(long)gm * p.k + gk]) : (unsigned short)0;
        }
        for (int idx = tid; idx < TC_BN * TC_BK; idx += TC_THREADS)
        {
            int r = idx / TC_BK, c = idx % TC_BK;
            int gn = n0 + r, gk = k0 + c;
            bs[r][c] = (gn < p.n && gk < p.k) ? w[(long)gn * p.k + gk] : (unsigned short)0;
        }
        __syncthreads();

        #pragma unroll
        for (int kk = 0; kk < TC_BK; kk += 16)
        {
            // ldmatrix x4 fragments. A: matrices (rows 0-7 | 8-15) x (k 0-7 | 8-15) of a 16-row
            // slice, ordered to give a[0..3]. B: Wᵀ rows are n, so a non-transposed load of
            // (n 0-7 | 8-15) x (k 0-7 | 8-15) gives b[j][0..1] for two n8 tiles at once.
            unsigned int a[2][4], b[4][2];
            const int mat = lane >> 3, mrow = lane & 7;
            #pragma unroll
            for (int i = 0; i < 2; i++)
                rtfm_ldmatrix_x4(a[i], &as[wm + i * 16 + (mat & 1) * 8 + mrow][kk + (mat >> 1) * 8]);
            #pragma unroll
            for (int j = 0; j < 4; j += 2)
            {
                unsigned int r[4];
                rtfm_ldmatrix_x4(r, &bs[wn + j * 8 + (mat >> 1) * 8 + mrow][kk + (mat & 1) * 8]);
                b[j][0] = r[0];
                b[j][1] = r[1];
                b[j + 1][0] = r[2];
                b[j + 1][1] = r[3];
            }
            #pragma unroll
            for (int i = 0; i < 2; i++)
                #pragma unroll
                for (int j = 0; j < 4; j++) rtfm_mma_bf16_16x8x16(acc[i][j], a[i], b[j]);
        }
        __syncthreads();
    }

    #pragma unroll
    for (int i = 0; i < 2; i++)
    {
        #pragma unroll
        for (int j = 0; j < 4; j++)
        {
            #pragma unroll
            for (int r = 0; r < 4; r++)
            {
                int gm = m0 + wm + i * 16 + g + (r >> 1) * 8;
                int gn = n0 + wn + j * 8 + 2 * t + (r & 1);
                if (gm >= p.m || gn >= p.n) continue;
                float v = acc[i][j][r] + (p.bias ? p.bias[gn] : 0.0f);
                if (p.epilogue == RTFM_EPILOGUE_GELU) v = rtfm_gelu(v);
                p.y[(long)gm * p.n + gn] = v;
            }
        }
    }
}

#define F_BM 64
#define F_BN 64
#define F_BK 16
#define F_THREADS 256 // 16x16 threads, 4x4 outputs each

extern "C" __global__ void __launch_bounds__(F_THREADS) gemm_f32(const GemmParams p)
{
    __shared__ float as[F_BK][F_BM]; // x tile transposed: [k][m]
    __shared__ float bs[F_BK][F_BN]; // W tile: [k][n]

    const float* w = (const float*)p.weight;
    const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
    const int m0 = blockIdx.y * F_BM, n0 = blockIdx.x * F_BN;

    float acc[4][4];
    #pragma unroll
    for (int i = 0; i < 4; i++)
        #pragma unroll
        for (int j = 0; j < 4; j++)
        {
            int gn = n0 + tx + 16 * j;
            acc[i][j] = (p.bias && gn < p.n) ? p.bias[gn] : 0.0f;
        }

    for (int k0 = 0; k0 < p.k; k0 += F_BK)
    {
        for (int idx = tid; idx < F_BM * F_BK; idx += F_THREADS)
        {
            int r = idx / F_BK, c = idx % F_BK;
            int gm = m0 + r, gk = k0 + c;
            as[c][r] = (gm < p.m && gk < p.k) ? p.x[(long)gm * p.k + gk] : 0.0f;
        }
        for (int idx = tid; idx < F_BK * F_BN; idx += F_THREADS)
        {
            int r = idx / F_BN, c = idx % F_BN;
            int gk = k0 + r, gn = n0 + c;
            bs[r][c] = (gk < p.k && gn < p.n) ? w[(long)gk * p.n + gn] : 0.0f;
        }
        __syncthreads();
        int kn = min(F_BK, p.k - k0); // stop at K: a padded term would still be an FMA with +0
        for (int kk = 0; kk < kn; kk++)
        {
            float a[4], b[4];
            #pragma unroll
            for (int i = 0; i < 4; i++) a[i] = as[kk][ty + 16 * i];
            #pragma unroll
            for (int j = 0; j < 4; j++) b[j] = bs[kk][tx + 16 * j];
            #pragma unroll
            for (int i = 0; i < 4; i++)
                #pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }

    #pragma unroll

    for (int i = 0; i < 4; i++)
    {
        int gm = m0 + ty + 16 * i;
        if (gm >= p.m) continue;
        #pragma unroll
        for (int j = 0; j < 4; j++)
        {
            int gn = n0 + tx + 16 * j;
            if (gn >= p.n) continue;
            float v = acc[i][j];
            if (p.epilogue == RTFM_EPILOGUE_GELU) v = rtfm_gelu(v);
            p.y[(long)gm * p.n + gn] = v;
        }
    }
}
