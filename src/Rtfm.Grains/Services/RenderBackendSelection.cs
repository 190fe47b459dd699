// What a silo renders with, decided once at start. Render = "cuda" opens the GPU through the
// driver (kernels compiled by NVRTC for its architecture, CUBINs cached on disk); when that
// fails — no driver, no device, no NVRTC, a kernel that does not compile — the silo still
// starts, as a CPU render silo that says so in its metadata (rtfm.render = cpu) and logs why.
// An opened GPU is sized once, from its free memory (CudaCapacity): the sessions the silo
// advertises as rtfm.capacity, its render lanes, and its device KV budget.
using Rtfm.Compute;
using Rtfm.Compute.Cpu;
using Rtfm.Cuda;
using Rtfm.Cuda.Backend;
using Rtfm.Cuda.Devices;
using Rtfm.Model;
using Rtfm.Model.Weights;

namespace Rtfm.Grains.Services;

/// <summary>Options of a CUDA render silo.</summary>
public sealed class CudaRenderOptions
{
    /// <summary>Which GPU (driver ordinal).</summary>
    public int DeviceOrdinal { get; set; }

    /// <summary>Kernel sources; null = the ones shipped beside the binaries.</summary>
    public string? KernelDirectory { get; set; }

    /// <summary>Where compiled kernels are cached; null = DATA/cache/cubin.</summary>
    public string? CubinCacheDirectory { get; set; }

    /// <summary>Precision of the linear layers (docs/decisions.md).</summary>
    public GemmPrecision Gemm { get; set; } = GemmPrecision.Bf16;

    /// <summary>Opens the device for Render = cuda; null = the real driver. Lets a host substitute another device.</summary>
    public Func<ICudaDevice>? OpenDevice { get; set; }

    /// <summary>How device memory is divided between sessions and resident KV blocks (docs/cuda.md, "Capacity").</summary>
    public CudaCapacityOptions Memory { get; set; } = new();
}

public sealed class RenderBackendSelection : IDisposable
{
    private readonly ICudaDevice? _device;
    private readonly CudaBackendOptions _cudaOptions;

    private RenderBackendSelection(string requested, string advertised, string? fallbackReason, ICudaDevice? device, CudaBackendOptions cudaOptions, CudaCapacity? capacity = null)
    {
        Requested = requested;
        Advertised = advertised;
        FallbackReason = fallbackReason;
        _device = device;
        _cudaOptions = cudaOptions;
        Capacity = capacity;
    }

    /// <summary>How the opened GPU's memory is divided (sessions, KV budget); null when not rendering on a GPU.</summary>
    public CudaCapacity? Capacity { get; }

    /// <summary>What the configuration asked for: cpu, cuda or none.</summary>
    public string Requested { get; }

    /// <summary>What the silo advertises as rtfm.render and renders with: cpu, cuda or none.</summary>
    public string Advertised { get; }

    /// <summary>Why Render = cuda fell back to the CPU; null when it did not.</summary>
    public string? FallbackReason { get; }

    /// <summary>The opened GPU's name, when rendering on one.</summary>
    public string? DeviceName => _device?.Name;

    /// <summary>The CPU engine (the default, and what tests construct engines with).</summary>
    public static RenderBackendSelection Cpu() => new("cpu", "cpu", null, null, new CudaBackendOptions());

    /// <summary>
    /// Decides for <paramref name="render"/> (cpu, cuda or none); for cuda, tries <paramref name="openDevice"/>
    /// and sizes the GPU for <paramref name="config"/> from its free memory. A GPU that does not open, or has
    /// no room for one session, falls back to the CPU with the reason.
    /// </summary>
    public static RenderBackendSelection Select(string render, Func<ICudaDevice> openDevice, ModelConfig config, GemmPrecision gemm, CudaCapacityOptions memory)
    {
        ArgumentNullException.ThrowIfNull(openDevice);
        ArgumentNullException.ThrowIfNull(memory);
        memory.Validate();
        var cudaOptions = new CudaBackendOptions(gemm);
        if (render != "cuda") return new(render, render, null, null, cudaOptions);
        ICudaDevice? device = null;
        try
        {
            device = openDevice();
            var capacity = CudaCapacity.Compute(device.MemoryInfo(), config, gemm, memory);
            return new(render, "cuda", null, device, cudaOptions, capacity);
        }
        catch (Exception e) when (e is CudaException or DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            device?.Dispose();
            return new(render, "cpu", $"{e.GetType().Name}: {e.Message}", null, cudaOptions);
        }
    }

    /// <summary>The GPU's render pool (lanes and KV budget as sized at start); null when not rendering on a GPU.</summary>
    public CudaRenderPool? CreateCudaPool(ModelWeights weights) =>
        _device is null || Capacity is null
            ? null
            : new CudaRenderPool(weights, new CudaBackend(_device, _cudaOptions, ownsDevice: false), new CudaRenderPoolOptions(Capacity.Sessions, Capacity.KvBudgetBytes));

    /// <summary>The backend the silo's model runs on (one per render engine).</summary>
    public IComputeBackend CreateBackend(int cpuThreads) =>
        _device is not null
            ? new CudaBackend(_device, _cudaOptions, ownsDevice: false)
            : CreateCpuBackend(cpuThreads);

    /// <summary>The CPU engine: what a CPU silo renders with, and what a GPU silo fails over to.</summary>
    public static IComputeBackend CreateCpuBackend(int cpuThreads) => new CpuBackend(new CpuEngineOptions(cpuThreads));

    public void Dispose() => _device?.Dispose();
}
