// Fused multi-head attention of a frame's queries over [context KV blocks in order ; self],
// online softmax (one pass over the keys, never materialising the score matrix).
// C# reference: ReferenceBackend.Attention; params mirrored by Rtfm.Cuda.Kernels.AttentionParams.
// Grid (ceil(Tq / 8), heads), 256 threads: each warp owns one query row of one head. Keys and
// values stream through shared memory 32 rows at a time; lane l scores key l of a tile, the
// warp agrees on the running max, and lane l accumulates output columns l, l + 32, ...
#include "rtfm_cuda.cuh"

#define RTFM_ATTENTION_MAX_BLOCKS 8
#define ATT_MAX_DH 128
#define ATT_WARPS 8
#define ATT_TILE 32

struct AttentionParams
{
    const float* q;                                         // (Tq, D)
    const float* self_k;                                    // (Tq, D)
    const float* self_v;                                    // (Tq, D)
    float* out;                                             // (Tq, D)
    const float* context_k[RTFM_ATTENTION_MAX_BLOCKS];      // each (context_rows[i], D)
    const float* context_v[RTFM_ATTENTION_MAX_BLOCKS];
    int context_rows[RTFM_ATTENTION_MAX_BLOCKS];
    int context_blocks;
    int tq;
    int d;
    int heads;
    float scale;                                            // 1 / sqrt(D / heads)
    int reserved;
};
static_assert(sizeof(AttentionParams) == 216, "AttentionParams must match the C# mirror");

extern "C" __global__ void __launch_bounds__(ATT_WARPS * 32) attention_online_softmax(const AttentionParams p)
{
    __shared__ float ks[ATT_TILE][ATT_MAX_DH + 1]; // +1: lane-strided rows fall in distinct banks
    __shared__ float vs[ATT_TILE][ATT_MAX_DH];
    __shared__ float qs[ATT_WARPS][ATT_MAX_DH];

    const int dh = p.d / p.heads, h = blockIdx.y;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int row = blockIdx.x * ATT_WARPS + warp;
    const bool active = row < p.tq;
    const int col0 = h * dh;

    for (int c = lane; c < dh; c += 32) qs[warp][c] = active ? p.q[(long)row * p.d + col0 + c] * p.scale : 0.0f;

    float m = RTFM_NEG_INF, l = 0.0f;
    float acc[ATT_MAX_DH / 32];
    #pragma unroll
    for (int i = 0; i < ATT_MAX_DH / 32; i++) acc[i] = 0.0f;

    for (int seg = 0; seg <= p.context_blocks; seg++)
    {
        const bool self = seg == p.context_blocks;
        const float* kp = self ? p.self_k : p.context_k[seg];
        const float* vp = self ? p.self_v : p.context_v[seg];
        const int rows = self ? p.tq : p.context_rows[seg];
        for (int r0 = 0; r0 < rows; r0 += ATT_TILE)
        {
            const int n = min(ATT_TILE, rows - r0);
            __syncthreads(); // the previous tile is consumed by every warp
            for (int idx = tid; idx < n * dh; idx += ATT_WARPS * 32)
            {
                int r = idx / dh, c = idx % dh;
                long off = (long)(r0 + r) * p.d + col0 + c;
                ks[r][c] = kp[off];
                vs[r][c] = vp[off];
            }
            __syncthreads();

            // Score of key `lane` (queries are pre-scaled), -inf past the tile's end.
            float s = RTFM_NEG_INF;
            if (lane < n)
            {
                s = 0.0f;
                for (int c = 0; c < dh; c++) s = fmaf(qs[warp][c], ks[lane][c], s);
            }
            const float mNew = fmaxf(m, rtfm_warp_max(s));
            const float correction = expf(m - mNew); // m = -inf on the first tile: 0
            const float pl = lane < n ? expf(s - mNew) : 0.0f;
            l = l * correction + rtfm_warp_sum(pl);
            m = mNew;

            #pragma unroll
            for (int i = 0; i < ATT_MAX_DH / 32; i++) acc[i] *= correction;
            for (int j = 0; j < n; j++)
            {
                // Every lane needs key j's weight: broadcast it from the lane that scored it.
                float pj = __shfl_sync(RTFM_FULL_MASK, pl, j);
                #pragma unroll
                for (int i = 0; i < ATT_MAX_DH / 32; i++)
                {
                    int c = lane + 32 * i;
                    if (c < dh) acc[i] = fmaf(pj, vs[j][c], acc[i]);
                }
            }
        }
    }

    if (!active) return;
    const float inv = 1.0f / l;
    #pragma unroll
    for (int i = 0; i < ATT_MAX_DH / 32; i++)
    {
        int c = lane + 32 * i;
        if (c < dh) p.out[(long)row * p.d + col0 + c] = acc[i] * inv;
    }
}
