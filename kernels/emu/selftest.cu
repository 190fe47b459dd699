// Kernels that test the emulator itself (built only into the emulator library): barrier and
// shuffle semantics on a block with a 3-D shape, and the two mistakes it must report instead
// of hanging: a shuffle in a warp whose lanes have exited, and a __syncthreads that only part
// of the block reaches.
#include "rtfm_cuda.cuh"

struct EmuSelfTestParams
{
    float* out; // (blocks, threads)
    int mode;   // emu_selftest_faults: 0 partial-warp shuffle, 1 shuffle against barrier
    int reserved;
};
static_assert(sizeof(EmuSelfTestParams) == 16, "EmuSelfTestParams must match the C# mirror");

// out[block][tid] = sum over the block of (tid + 1) * (block + 1), through shared memory and a
// barrier, plus the warp's max lane id through shuffles (must be 31 for every full warp).
extern "C" __global__ void emu_selftest_block_sum(const EmuSelfTestParams p)
{
    __shared__ float partial[1024];
    const int tid = threadIdx.x + threadIdx.y * blockDim.x + threadIdx.z * blockDim.x * blockDim.y;
    const int threads = blockDim.x * blockDim.y * blockDim.z;
    const int block = blockIdx.x + blockIdx.y * gridDim.x;
    partial[tid] = (float)((tid + 1) * (block + 1));
    __syncthreads();
    float sum = 0.0f;
    for (int i = 0; i < threads; i++) sum += partial[i];
    __syncthreads(); // nobody rewrites partial before every thread has read it
    float lane = (float)(tid & 31);
    for (int o = 16; o > 0; o >>= 1) lane = fmaxf(lane, __shfl_xor_sync(RTFM_FULL_MASK, lane, o));
    p.out[(long)block * threads + tid] = sum + lane * 1e6f;
}

extern "C" __global__ void emu_selftest_faults(const EmuSelfTestParams p)
{
    const int tid = threadIdx.x;
    if (p.mode == 0)
    {
        if (tid % 32 >= 16) return; // half of the warp leaves, the other half shuffles
        p.out[tid] = __shfl_sync(RTFM_FULL_MASK, (float)tid, 0);
    }
    else
    {
        // Half the warp waits in a shuffle, the other half at the block barrier: on a GPU a
        // hang (or undefined behaviour); the emulator must name it.
        if (tid % 32 < 16) p.out[tid] = __shfl_sync(RTFM_FULL_MASK, (float)tid, 0);
        else __syncthreads();
    }
}

// A race: each thread reads its neighbour's slot without a barrier after the neighbour's write.
// The emulator's forward and reverse thread orders must give different results.
extern "C" __global__ void emu_selftest_race(const EmuSelfTestParams p)
{
    __shared__ float slots[64];
    const int tid = threadIdx.x;
    slots[tid] = 0.0f;
    __syncthreads();
    slots[tid] = (float)(tid + 1);
    p.out[tid] = slots[(tid + 1) % 64]; // missing __syncthreads before this read
}
