// The CPU engine's SIMD paths and how one is chosen: the best the CPU has, or one forced by
// option or by RTFM_CPU_ISA. All paths give bit-identical results (docs/decisions.md).
using System.Runtime.Intrinsics.X86;

namespace Rtfm.Compute.Cpu;

public enum CpuIsa
{
    Auto,
    Avx512,
    Avx2,
    Scalar,
}

public static class CpuIsaSupport
{
    public const string EnvironmentVariable = "RTFM_CPU_ISA";

    /// <summary>The fastest path this CPU supports.</summary>
    public static CpuIsa Best => IsSupported(CpuIsa.Avx512) ? CpuIsa.Avx512 : IsSupported(CpuIsa.Avx2) ? CpuIsa.Avx2 : CpuIsa.Scalar;

    public static bool IsSupported(CpuIsa isa) => isa switch
    {
        CpuIsa.Avx512 => Avx512F.IsSupported && Fma.IsSupported,
        CpuIsa.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        _ => true,
    };

    /// <summary>Auto becomes the environment's choice or <see cref="Best"/>; an unsupported explicit path throws.</summary>
    public static CpuIsa Resolve(CpuIsa requested)
    {
        if (requested == CpuIsa.Auto)
        {
            var fromEnv = FromEnvironment();
            requested = fromEnv == CpuIsa.Auto ? Best : fromEnv;
        }
        if (!IsSupported(requested))
        {
            string missing = requested == CpuIsa.Avx512 ? "AVX-512F and FMA" : "AVX2 and FMA";
            throw new NotSupportedException($"CPU path {requested} needs {missing}, which this CPU lacks; use auto, avx2 or scalar");
        }
        return requested;
    }

    /// <summary>The path named by RTFM_CPU_ISA (auto|avx512|avx2|scalar), Auto when unset.</summary>
    public static CpuIsa FromEnvironment()
    {
        string? v = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(v)) return CpuIsa.Auto;
        return v.Trim().ToLowerInvariant() switch
        {
            "auto" => CpuIsa.Auto,
            "avx512" => CpuIsa.Avx512,
            "avx2" => CpuIsa.Avx2,
            "scalar" => CpuIsa.Scalar,
            _ => throw new ArgumentException($"{EnvironmentVariable}='{v}' is not one of auto, avx512, avx2, scalar"),
        };
    }
}
