// Shared device helpers of the RTFM kernels: bf16 as raw bits (NVRTC 11.8 ships without
// cuda_bf16.h), the bf16 tensor-core MMA through inline PTX, warp reductions, and the one
// macro for dynamic shared memory. The same kernels build for the CPU emulator
// (kernels/emu/cuda_emu.h) when RTFM_EMULATOR is defined: there the MMA and the shuffles are
// warp collectives with the same fragment layouts, so a layout bug shows on the CPU too.
#pragma once

#if defined(RTFM_EMULATOR)
#include "emu/cuda_emu.h"
#else
#define RTFM_DYNAMIC_SHARED(type, name) extern __shared__ type name[]
// NVRTC has no <cstddef>; its front end folds this classic form to a constant.
#define RTFM_OFFSETOF(type, field) ((unsigned long long)&(((type*)0)->field))
#endif

#define RTFM_FULL_MASK 0xffffffffu
#define RTFM_NEG_INF __int_as_float(0xff800000)

// bf16 bits of an f32, round to nearest even (NaN stays NaN). Matches what cvt.rn.bf16.f32
// does and what the C# packer does, so the host and both device builds agree bit for bit.
__device__ __forceinline__ unsigned short rtfm_f32_to_bf16(float f)
{
    unsigned int u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (unsigned short)(u >> 16);
}

__device__ __forceinline__ float rtfm_bf16_to_f32(unsigned short h)
{
    return __uint_as_float(((unsigned int)h) << 16);
}

__device__ __forceinline__ float rtfm_warp_sum(float v)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(RTFM_FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ float rtfm_warp_max(float v)
{
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(RTFM_FULL_MASK, v, o));
    return v;
}

// GELU, tanh approximation (docs/model.md).
__device__ __forceinline__ float rtfm_gelu(float x)
{
    const float k0 = 0.7978845608028654f; // sqrt(2/pi)
    return 0.5f * x * (1.0f + tanhf(k0 * (x + 0.044715f * x * x * x)));
}

// D (16x8, f32) += A (16x16, bf16, row) * B (16x8, bf16, col), one warp. Fragments as the PTX
// ISA lays them out for mma.m16n8k16 (g = lane / 4, t = lane % 4, low half = lower index):
//   a[0] = A[g][2t..2t+1]   a[1] = A[g+8][2t..2t+1]   a[2] = A[g][2t+8..2t+9]   a[3] = A[g+8][2t+8..2t+9]
//   b[0] = B[2t..2t+1][g]   b[1] = B[2t+8..2t+9][g]
//   d[0..1] = D[g][2t..2t+1]   d[2..3] = D[g+8][2t..2t+1]
#if !defined(RTFM_EMULATOR)
// Four 8x8 b16 matrices from shared memory, one warp: lane l gives the address of row l % 8 of
// matrix l / 8 (16-byte aligned); r[i] receives matrix i's elements (l / 4, 2(l % 4) .. +1),
// which is exactly an mma fragment register.
__device__ __forceinline__ void rtfm_ldmatrix_x4(unsigned int r[4], const void* row)
{
    unsigned int address = (unsigned int)__cvta_generic_to_shared(row);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(address));
}

__device__ __forceinline__ void rtfm_mma_bf16_16x8x16(float d[4], const unsigned int a[4], const unsigned int b[2])
{
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
        "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
#endif
