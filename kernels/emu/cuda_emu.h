// CPU emulation of the CUDA device features the RTFM kernels use, so the same kernels/*.cu
// sources build with g++ into a native library (see emu_runtime.cpp and docs/cuda.md).
// A block's threads run as fibers on one OS thread; blocks run in parallel on worker threads.
//   __shared__        -> static thread_local: one copy per worker thread = per running block
//   __syncthreads()   -> a barrier over the block's fibers
//   warp shuffles and the bf16 MMA -> warp collectives: every lane of the warp deposits its
//                        operands, and each lane computes its result from all lanes' data with
//                        the hardware's fragment layout; a collective with a lane missing
//                        (exited, or a partial warp) aborts the launch instead of deadlocking.
// Build flags that matter: -fno-strict-aliasing (fragment loads reinterpret shared memory),
// -ffp-contract=off (the __f*_rn intrinsics must not fuse).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <algorithm>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __shared__ static thread_local
#define __align__(n) __attribute__((aligned(n)))
#define __restrict__ __restrict

struct dim3
{
    unsigned int x, y, z;
};

namespace rtfm_emu
{
struct Fiber;
extern thread_local Fiber* current_fiber;
extern thread_local dim3 block_idx;
extern thread_local dim3 block_dim;
extern thread_local dim3 grid_dim;
const dim3& thread_idx();
void sync_threads();
void* dynamic_shared();
// Deposits `bytes` of this lane's data, waits for the whole warp, and returns the warp's
// 32 deposits (lane-major, `bytes` each), valid until this lane's next collective.
const unsigned char* warp_exchange(const void* data, int bytes);
[[noreturn]] void fail(const char* message);
} // namespace rtfm_emu

#define threadIdx (::rtfm_emu::thread_idx())
#define blockIdx (::rtfm_emu::block_idx)
#define blockDim (::rtfm_emu::block_dim)
#define gridDim (::rtfm_emu::grid_dim)
#define __syncthreads() ::rtfm_emu::sync_threads()
#define RTFM_DYNAMIC_SHARED(type, name) type* name = static_cast<type*>(::rtfm_emu::dynamic_shared())
#define RTFM_OFFSETOF(type, field) offsetof(type, field)

using std::min;
using std::max;

inline float __int_as_float(int v) { float f; std::memcpy(&f, &v, 4); return f; }
inline float __uint_as_float(unsigned int v) { float f; std::memcpy(&f, &v, 4); return f; }
inline unsigned int __float_as_uint(float f) { unsigned int v; std::memcpy(&v, &f, 4); return v; }
inline int __float_as_int(float f) { int v; std::memcpy(&v, &f, 4); return v; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline float rsqrtf(float a) { return 1.0f / std::sqrt(a); }
inline float __expf(float a) { return std::exp(a); }

namespace rtfm_emu
{
inline int lane_id() { return (int)((thread_idx().x + thread_idx().y * block_dim.x + thread_idx().z * block_dim.x * block_dim.y) & 31); }

inline void check_full_mask(unsigned int mask)
{
    if (mask != 0xffffffffu) fail("warp collective with a partial mask: the emulator supports full-warp masks only");
}
} // namespace rtfm_emu

template <class T>
inline T __shfl_sync(unsigned int mask, T value, int src_lane, int width = 32)
{
    ::rtfm_emu::check_full_mask(mask);
    if (width != 32) ::rtfm_emu::fail("__shfl_sync with width != 32 is not emulated");
    const unsigned char* all = ::rtfm_emu::warp_exchange(&value, sizeof(T));
    T out;
    std::memcpy(&out, all + (size_t)(src_lane & 31) * sizeof(T), sizeof(T));
    return out;
}

template <class T>
inline T __shfl_xor_sync(unsigned int mask, T value, int lane_mask, int width = 32)
{
    ::rtfm_emu::check_full_mask(mask);
    if (width != 32) ::rtfm_emu::fail("__shfl_xor_sync with width != 32 is not emulated");
    const unsigned char* all = ::rtfm_emu::warp_exchange(&value, sizeof(T));
    T out;
    std::memcpy(&out, all + (size_t)((::rtfm_emu::lane_id() ^ lane_mask) & 31) * sizeof(T), sizeof(T));
    return out;
}

// mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32, as a warp collective with the PTX
// fragment layout (kernels/rtfm_cuda.cuh documents it). Products of bf16 values are exact
// in f32; the sum over k runs in order in f32.
inline void rtfm_mma_bf16_16x8x16(float d[4], const unsigned int a[4], const unsigned int b[2])
{
    struct Lane
    {
        unsigned int a[4], b[2];
    };
    Lane mine;
    std::memcpy(mine.a, a, sizeof mine.a);
    std::memcpy(mine.b, b, sizeof mine.b);
    const Lane* all = reinterpret_cast<const Lane*>(::rtfm_emu::warp_exchange(&mine, sizeof(Lane)));
    auto bf = [](unsigned int word, int high) { return __uint_as_float(high ? (word & 0xffff0000u) : (word << 16)); };
    float A[16][16], B[16][8];
    for (int lane = 0; lane < 32; lane++)
    {
        int g = lane >> 2, t = lane & 3;
        const Lane& l = all[lane];
        for (int h = 0; h < 2; h++)
        {
            A[g][2 * t + h] = bf(l.a[0], h);
            A[g + 8][2 * t + h] = bf(l.a[1], h);
            A[g][2 * t + 8 + h] = bf(l.a[2], h);
            A[g + 8][2 * t + 8 + h] = bf(l.a[3], h);
            B[2 * t + h][g] = bf(l.b[0], h);
            B[2 * t + 8 + h][g] = bf(l.b[1], h);
        }
    }
    int lane = ::rtfm_emu::lane_id(), g = lane >> 2, t = lane & 3;
    for (int r = 0; r < 4; r++)
    {
        int row = g + (r >> 1) * 8, col = 2 * t + (r & 1);
        float acc = d[r];
        for (int k = 0; k < 16; k++) acc += A[row][k] * B[k][col];
        d[r] = acc;
    }
}

// ldmatrix.sync.aligned.m8n8.x4.shared.b16 as a warp collective: every lane's row address is
// exchanged, then each lane reads its fragment of each of the four matrices.
inline void rtfm_ldmatrix_x4(unsigned int r[4], const void* row)
{
    const unsigned char* all = ::rtfm_emu::warp_exchange(&row, sizeof(row));
    if (reinterpret_cast<uintptr_t>(row) % 16 != 0) ::rtfm_emu::fail("ldmatrix row address is not 16-byte aligned");
    int lane = ::rtfm_emu::lane_id();
    for (int i = 0; i < 4; i++)
    {
        const void* src;
        std::memcpy(&src, all + (size_t)(i * 8 + lane / 4) * sizeof(src), sizeof(src));
        std::memcpy(&r[i], static_cast<const unsigned char*>(src) + (lane % 4) * 4, 4);
    }
}
