// adaLN: layer norm with the modulation of docs/model.md, and the gated residual.
// C# references: ReferenceBackend.LayerNormModulate and GatedResidualAdd; params mirrored by
// Rtfm.Cuda.Kernels.LayerNormParams and GatedResidualParams.
//   layernorm_modulate: y (T, D) = LN(x)·(1 + scale) + shift, no affine, biased variance, eps
//                       inside the sqrt. One warp per row, two passes (mean, then the centred
//                       sum of squares) so a large mean costs no precision.
//   gated_residual:     x (T, D) += gate (D) ⊙ y (T, D).
#include "rtfm_cuda.cuh"

struct LayerNormParams
{
    const float* x;     // (T, D)
    const float* shift; // (D)
    const float* scale; // (D)
    float* y;           // (T, D); may alias x
    int rows;
    int cols;
    float eps;
    int reserved;
};
static_assert(sizeof(LayerNormParams) == 48, "LayerNormParams must match the C# mirror");

struct GatedResidualParams
{
    float* x;          // (T, D), updated in place
    const float* gate; // (D)
    const float* y;    // (T, D)
    int rows;
    int cols;
};
static_assert(sizeof(GatedResidualParams) == 32, "GatedResidualParams must match the C# mirror");

#define LN_WARPS 4

extern "C" __global__ void __launch_bounds__(LN_WARPS * 32) layernorm_modulate(const LayerNormParams p)
{
    const int lane = threadIdx.x & 31;
    const int row = blockIdx.x * LN_WARPS + (threadIdx.x >> 5);
    if (row >= p.rows) return; // whole warps leave together: no barrier follows
    const float* x = p.x + (long)row * p.cols;
    float* y = p.y + (long)row * p.cols;

    float sum = 0.0f;
    for (int c = lane; c < p.cols; c += 32) sum += x[c];
    const float mean = rtfm_warp_sum(sum) / (float)p.cols;
    float sq = 0.0f;
    for (int c = lane; c < p.cols; c += 32)
    {
        float z = x[c] - mean;
        sq = fmaf(z, z, sq);
    }
    const float inv = rsqrtf(rtfm_warp_sum(sq) / (float)p.cols + p.eps);
    for (int c = lane; c < p.cols; c += 32)
        y[c] = fmaf((x[c] - mean) * inv, 1.0f + p.scale[c], p.shift[c]);
}

extern "C" __global__ void gated_residual(const GatedResidualParams p)
{
    const long n = (long)p.rows * p.cols;
    for (long i = (long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x)
        p.x[i] = fmaf(p.gate[i % p.cols], p.y[i], p.x[i]);
}
