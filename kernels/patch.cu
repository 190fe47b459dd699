// Frame to tokens: per-pixel Plücker rays and the patchify that interleaves pixels and rays.
// C# references: PluckerRays.Compute (via ReferenceBackend.PluckerRays) and
// ReferenceBackend.PatchifyWithRays; params mirrored by Rtfm.Cuda.Kernels.PluckerParams and
// PatchifyParams. Both must reproduce the reference bit for bit, so the ray arithmetic is
// written with round-to-nearest intrinsics in the reference's order: no FMA contraction, IEEE
// division and square root. The rotation matrix comes from the host (same C# expressions).
#include "rtfm_cuda.cuh"

struct PluckerParams
{
    float* rays;      // (H, W, 6)
    int height;
    int width;
    float fx;
    float fy;
    float cx;
    float cy;
    float rotation[9]; // camera-to-world, row-major
    float origin[3];   // camera centre in world
};
static_assert(sizeof(PluckerParams) == 80, "PluckerParams must match the C# mirror");

struct PatchifyParams
{
    const float* image; // (H, W, 3)
    const float* rays;  // (H, W, 6)
    float* tokens;      // (H/p · W/p, p²·9)
    int height;
    int width;
    int patch;
    int reserved;
};
static_assert(sizeof(PatchifyParams) == 40, "PatchifyParams must match the C# mirror");

extern "C" __global__ void plucker_rays(const PluckerParams p)
{
    const int n = p.height * p.width;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        const int v = i / p.width, u = i % p.width;
        const float* r = p.rotation;
        float cy = __fdiv_rn(__fsub_rn(__fadd_rn((float)v, 0.5f), p.cy), p.fy);
        float cx = __fdiv_rn(__fsub_rn(__fadd_rn((float)u, 0.5f), p.cx), p.fx);
        float dx = __fadd_rn(__fadd_rn(__fmul_rn(r[0], cx), __fmul_rn(r[1], cy)), r[2]);
        float dy = __fadd_rn(__fadd_rn(__fmul_rn(r[3], cx), __fmul_rn(r[4], cy)), r[5]);
        float dz = __fadd_rn(__fadd_rn(__fmul_rn(r[6], cx), __fmul_rn(r[7], cy)), r[8]);
        float len2 = __fadd_rn(__fadd_rn(__fmul_rn(dx, dx), __fmul_rn(dy, dy)), __fmul_rn(dz, dz));
        float inv = __fdiv_rn(1.0f, __fsqrt_rn(len2));
        dx = __fmul_rn(dx, inv);
        dy = __fmul_rn(dy, inv);
        dz = __fmul_rn(dz, inv);
        const float ox = p.origin[0], oy = p.origin[1], oz = p.origin[2];
        float* o = p.rays + (long)i * 6;
        o[0] = dx;
        o[1] = dy;
        o[2] = dz;
        o[3] = __fsub_rn(__fmul_rn(oy, dz), __fmul_rn(oz, dy));
        o[4] = __fsub_rn(__fmul_rn(oz, dx), __fmul_rn(ox, dz));
        o[5] = __fsub_rn(__fmul_rn(ox, dy), __fmul_rn(oy, dx));
    }
}

// One thread per token value: a pure gather, so every output is written exactly once.
extern "C" __global__ void patchify_with_rays(const PatchifyParams p)
{
    const int pp = p.patch * p.patch, width = pp * 9, pw = p.width / p.patch;
    const int n = (p.height / p.patch) * pw * width;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        const int t = i / width, e = i % width;
        const int py0 = t / pw * p.patch, px0 = t % pw * p.patch;
        float v;
        if (e < pp * 3)
        {
            int q = e / 3, c = e % 3;
            int y = py0 + q / p.patch, x = px0 + q % p.patch;
            v = p.image[((long)y * p.width + x) * 3 + c];
        }
        else
        {
            int f = e - pp * 3, q = f / 6, c = f % 6;
            int y = py0 + q / p.patch, x = px0 + q % p.patch;
            v = p.rays[((long)y * p.width + x) * 6 + c];
        }
        p.tokens[i] = v;
    }
}
