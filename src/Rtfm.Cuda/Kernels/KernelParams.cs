// C# mirrors of the kernels' params structs (kernels/*.cu): each kernel takes exactly one of
// these by value. Field order and types follow the C struct; a C# field Name maps to the C
// field name (snake_case). Sizes are asserted on both sides: static_assert in the .cu, Size
// here, and the kernel compile test adds offsetof asserts for every field and checks the
// compiled kernel's parameter size.
using System.Runtime.InteropServices;
using Rtfm.Core.Geometry;

namespace Rtfm.Cuda.Kernels;

/// <summary>kernels/gemm.cu: y (M, N) = x (M, K) · W + bias, optional GELU.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct GemmParams
{
    public const int Size = 48;
    public const int EpilogueNone = 0;
    public const int EpilogueGelu = 1;

    public CuDevicePtr X;      // (M, K) f32
    public CuDevicePtr Weight; // gemm_bf16_tc: (N, K) bf16; gemm_f32: (K, N) f32
    public CuDevicePtr Bias;   // (N) f32, or null
    public CuDevicePtr Y;      // (M, N) f32
    public int M;
    public int N;
    public int K;
    public int Epilogue;
}

/// <summary>kernels/attention.cu: softmax(q·kᵀ·scale)·v per head over [context ; self].</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct AttentionParams
{
    public const int Size = 216;
    public const int MaxContextBlocks = 8;

    public CuDevicePtr Q;        // (Tq, D)
    public CuDevicePtr SelfK;    // (Tq, D)
    public CuDevicePtr SelfV;    // (Tq, D)
    public CuDevicePtr Out;      // (Tq, D)
    public fixed ulong ContextK[MaxContextBlocks]; // device addresses, each (ContextRows[i], D)
    public fixed ulong ContextV[MaxContextBlocks];
    public fixed int ContextRows[MaxContextBlocks];
    public int ContextBlocks;
    public int Tq;
    public int D;
    public int Heads;
    public float Scale;          // 1 / sqrt(D / heads)
    public int Reserved;
}

/// <summary>kernels/adaln.cu layernorm_modulate: y = LN(x)·(1 + scale) + shift.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct LayerNormParams
{
    public const int Size = 48;

    public CuDevicePtr X;     // (T, D)
    public CuDevicePtr Shift; // (D)
    public CuDevicePtr Scale; // (D)
    public CuDevicePtr Y;     // (T, D)
    public int Rows;
    public int Cols;
    public float Eps;
    public int Reserved;
}

/// <summary>kernels/adaln.cu gated_residual: x += gate ⊙ y.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct GatedResidualParams
{
    public const int Size = 32;

    public CuDevicePtr X;    // (T, D)
    public CuDevicePtr Gate; // (D)
    public CuDevicePtr Y;    // (T, D)
    public int Rows;
    public int Cols;
}

/// <summary>kernels/gelu.cu: y = GELU(x).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct GeluParams
{
    public const int Size = 24;

    public CuDevicePtr X; // (n)
    public CuDevicePtr Y; // (n)
    public int N;
    public int Reserved;
}

/// <summary>kernels/patch.cu plucker_rays: rays (H, W, 6) of a camera.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct PluckerParams
{
    public const int Size = 80;

    public CuDevicePtr Rays; // (H, W, 6)
    public int Height;
    public int Width;
    public float Fx;
    public float Fy;
    public float Cx;
    public float Cy;
    public fixed float Rotation[9]; // camera-to-world, row-major
    public fixed float Origin[3];

    /// <summary>
    /// The params for <paramref name="pose"/> seen through <paramref name="intrinsics"/>: the
    /// rotation matrix is computed here with PluckerRays.Compute's expressions, so the kernel
    /// reproduces it bit for bit.
    /// </summary>
    public static PluckerParams Create(CuDevicePtr rays, in Pose pose, in Intrinsics intrinsics)
    {
        float qw = pose.Rotation.W, qx = pose.Rotation.X, qy = pose.Rotation.Y, qz = pose.Rotation.Z;
        var p = new PluckerParams
        {
            Rays = rays,
            Height = intrinsics.Height,
            Width = intrinsics.Width,
            Fx = intrinsics.Fx,
            Fy = intrinsics.Fy,
            Cx = intrinsics.Cx,
            Cy = intrinsics.Cy,
        };
        p.Rotation[0] = 1f - 2f * (qy * qy + qz * qz);
        p.Rotation[1] = 2f * (qx * qy - qz * qw);
        p.Rotation[2] = 2f * (qx * qz + qy * qw);
        p.Rotation[3] = 2f * (qx * qy + qz * qw);
        p.Rotation[4] = 1f - 2f * (qx * qx + qz * qz);
        p.Rotation[5] = 2f * (qy * qz - qx * qw);
        p.Rotation[6] = 2f * (qx * qz - qy * qw);
        p.Rotation[7] = 2f * (qy * qz + qx * qw);
        p.Rotation[8] = 1f - 2f * (qx * qx + qy * qy);
        p.Origin[0] = pose.Position.X;
        p.Origin[1] = pose.Position.Y;
        p.Origin[2] = pose.Position.Z;
        return p;
    }
}

/// <summary>kernels/patch.cu patchify_with_rays: tokens (T, p²·9).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct PatchifyParams
{
    public const int Size = 40;

    public CuDevicePtr Image;  // (H, W, 3)
    public CuDevicePtr Rays;   // (H, W, 6)
    public CuDevicePtr Tokens; // (T, p²·9)
    public int Height;
    public int Width;
    public int Patch;
    public int Reserved;
}

/// <summary>kernels/sampler.cu unpatchify and unpatchify_sampler_step.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct UnpatchifyParams
{
    public const int Size = 32;

    public CuDevicePtr Patches; // (T, p²·3)
    public CuDevicePtr Image;   // (H, W, 3)
    public int Height;
    public int Width;
    public int Patch;
    public float Step;          // (t' − t)/(1 − t), fused step only
}

/// <summary>kernels/sampler.cu sampler_step: x += step·(x̂ − x).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SamplerStepParams
{
    public const int Size = 24;

    public CuDevicePtr X;     // (n)
    public CuDevicePtr XPred; // (n)
    public int N;
    public float Step;
}

/// <summary>kernels/emu/selftest.cu: the emulator's own tests.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct EmuSelfTestParams
{
    public const int Size = 16;
    public const int ModePartialWarpShuffle = 0;
    public const int ModeShuffleAgainstBarrier = 1;

    public CuDevicePtr Out; // (blocks, threads)
    public int Mode;
    public int Reserved;
}
