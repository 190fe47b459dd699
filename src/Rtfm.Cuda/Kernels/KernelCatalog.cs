// Which kernels each kernels/*.cu file defines and the params struct each one takes: the
// backend loads entries by these names, and the compile test checks every entry against it.
namespace Rtfm.Cuda.Kernels;

/// <summary>One kernel entry point and the C# mirror of its only parameter.</summary>
public sealed record KernelEntry(string Name, Type Params);

/// <summary>One kernels/*.cu file and its entry points.</summary>
public sealed record KernelFile(string FileName, IReadOnlyList<KernelEntry> Entries);

public static class KernelCatalog
{
    /// <summary>Where the kernel sources ship beside the application's binaries (copied there by the Rtfm.Cuda build).</summary>
    public static string ShippedDirectory => Path.Combine(AppContext.BaseDirectory, "kernels");

    /// <summary>The header every kernel file includes (found through --include-path).</summary>
    public const string CommonHeader = "rtfm_cuda.cuh";

    public static IReadOnlyList<KernelFile> Files { get; } =
    [
        new("gemm.cu", [new("gemm_bf16_tc", typeof(GemmParams)), new("gemm_f32", typeof(GemmParams))]),
        new("attention.cu", [new("attention_online_softmax", typeof(AttentionParams))]),
        new("adaln.cu", [new("layernorm_modulate", typeof(LayerNormParams)), new("gated_residual", typeof(GatedResidualParams))]),
        new("gelu.cu", [new("gelu", typeof(GeluParams))]),
        new("patch.cu", [new("plucker_rays", typeof(PluckerParams)), new("patchify_with_rays", typeof(PatchifyParams))]),
        new("sampler.cu", [new("unpatchify", typeof(UnpatchifyParams)), new("sampler_step", typeof(SamplerStepParams)), new("unpatchify_sampler_step", typeof(UnpatchifyParams))]),
    ];

    /// <summary>Kernels that test the CPU emulator itself; built only into the emulator.</summary>
    public static KernelFile EmulatorSelfTests { get; } =
        new("emu/selftest.cu", [new("emu_selftest_block_sum", typeof(EmuSelfTestParams)), new("emu_selftest_faults", typeof(EmuSelfTestParams)), new("emu_selftest_race", typeof(EmuSelfTestParams))]);
}
