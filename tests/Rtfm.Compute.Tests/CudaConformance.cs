// The CUDA backend joins the conformance suite on the kernel emulator (no GPU here or in CI):
// the same host code and the same kernels a GPU runs, executed by the g++-built emulator.
using Rtfm.Cuda.Backend;
using Rtfm.Cuda.Devices;
using Rtfm.Cuda.Emulation;

namespace Rtfm.Compute.Tests;

public sealed class CudaEmulatedBf16Conformance : BackendConformanceTests
{
    protected override IComputeBackend CreateBackend() => new CudaBackend(new EmulatedDevice(EmulatedKernels.Shared), new CudaBackendOptions(GemmPrecision.Bf16));

    protected override float GemmOperandRounding => 1f / 256;
}

public sealed class CudaEmulatedF32Conformance : BackendConformanceTests
{
    protected override IComputeBackend CreateBackend() => new CudaBackend(new EmulatedDevice(EmulatedKernels.Shared), new CudaBackendOptions(GemmPrecision.F32));
}

/// <summary>One emulator build per test run, from the repository's kernels/ into its .cache/emu (shared with the kernel tests).</summary>
internal static class EmulatedKernels
{
    private static readonly Lazy<KernelEmulator> Emulator = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    public static KernelEmulator Shared => Emulator.Value;

    private static KernelEmulator Load()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Rtfm.Platform.sln")))
                return KernelEmulator.Load(Path.Combine(dir.FullName, "kernels"), Path.Combine(dir.FullName, ".cache", "emu"));
        }
        throw new InvalidOperationException($"no Rtfm.Platform.sln above {AppContext.BaseDirectory}: the CUDA conformance tests need the repository's kernels/");
    }
}
