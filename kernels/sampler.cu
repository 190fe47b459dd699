// Patches to frame, and the flow-matching Euler step with x-prediction (docs/model.md).
// C# references: ReferenceBackend.Unpatchify and SamplerStep; params mirrored by
// Rtfm.Cuda.Kernels.UnpatchifyParams and SamplerStepParams.
//   unpatchify:              image (H, W, 3) from patches (T, p²·3); a pure scatter, bit exact.
//   sampler_step:            x ← x + a·(x̂ − x), a = (t' − t)/(1 − t) computed on the host.
//   unpatchify_sampler_step: both at once, reading x̂ straight from the patches (a render's
//                            last two ops without the intermediate image).
#include "rtfm_cuda.cuh"

struct UnpatchifyParams
{
    const float* patches; // (H/p · W/p, p²·3)
    float* image;         // (H, W, 3): the image (unpatchify) or the sampler state x
    int height;
    int width;
    int patch;
    float step;           // unpatchify_sampler_step: a = (t' − t)/(1 − t); unused by unpatchify
};
static_assert(sizeof(UnpatchifyParams) == 32, "UnpatchifyParams must match the C# mirror");

struct SamplerStepParams
{
    float* x;            // (n), updated in place
    const float* x_pred; // (n)
    int n;
    float step;          // a = (t' − t)/(1 − t)
};
static_assert(sizeof(SamplerStepParams) == 24, "SamplerStepParams must match the C# mirror");

// Index of pixel value (y, x, c) of an (H, W, 3) image inside the patches.
__device__ __forceinline__ long rtfm_patch_index(int y, int x, int c, int width, int patch)
{
    int t = (y / patch) * (width / patch) + x / patch;
    return (long)t * patch * patch * 3 + ((y % patch) * patch + x % patch) * 3 + c;
}

extern "C" __global__ void unpatchify(const UnpatchifyParams p)
{
    const int n = p.height * p.width * 3;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        int c = i % 3, x = (i / 3) % p.width, y = i / (3 * p.width);
        p.image[i] = p.patches[rtfm_patch_index(y, x, c, p.width, p.patch)];
    }
}

extern "C" __global__ void sampler_step(const SamplerStepParams p)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < p.n; i += gridDim.x * blockDim.x)
        p.x[i] = fmaf(p.step, p.x_pred[i] - p.x[i], p.x[i]);
}

extern "C" __global__ void unpatchify_sampler_step(const UnpatchifyParams p)
{
    const int n = p.height * p.width * 3;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        int c = i % 3, x = (i / 3) % p.width, y = i / (3 * p.width);
        float pred = p.patches[rtfm_patch_index(y, x, c, p.width, p.patch)];
        p.image[i] = fmaf(p.step, pred - p.image[i], p.image[i]);
    }
}
