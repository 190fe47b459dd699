// GELU, tanh approximation, elementwise (in place allowed).
// C# reference: ReferenceBackend.Gelu; params mirrored by Rtfm.Cuda.Kernels.GeluParams.
#include "rtfm_cuda.cuh"

struct GeluParams
{
    const float* x; // (n)
    float* y;       // (n); may alias x
    int n;
    int reserved;
};
static_assert(sizeof(GeluParams) == 24, "GeluParams must match the C# mirror");

extern "C" __global__ void gelu(const GeluParams p)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < p.n; i += gridDim.x * blockDim.x)
        p.y[i] = rtfm_gelu(p.x[i]);
}
