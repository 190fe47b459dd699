// Entry points of the driver binding: initialisation, devices and kernel launches. Every call
// is checked; nothing here synchronises: a launch or a copy is enqueued on the caller's stream
// and only CudaStream.Synchronize / CudaEvent.Synchronize wait.
using System.Text;
using Rtfm.Cuda.Interop;
using static Rtfm.Cuda.CudaCheck;
using static Rtfm.Cuda.Interop.CudaDriverNative;

namespace Rtfm.Cuda.Driver;

/// <summary>What the driver reports about one device.</summary>
public sealed record CudaDeviceInfo(CuDevice Device, string Name, int ComputeMajor, int ComputeMinor, int Multiprocessors, int MaxSharedMemoryPerBlockOptin)
{
    /// <summary>The NVRTC architecture option for this device, e.g. <c>sm_90</c>.</summary>
    public string Architecture => $"sm_{ComputeMajor}{ComputeMinor}";
}

public static unsafe class CudaDriver
{
    /// <summary>
    /// Loads the driver library and calls cuInit. Throws a CudaException that says so when the
    /// library is absent (no NVIDIA driver) or when the driver finds no device.
    /// </summary>
    public static void Init()
    {
        EnsureLoadable();
        ThrowIfFailed(cuInit(0));
    }

    /// <summary>The driver's CUDA version, e.g. 12040 for 12.4.</summary>
    public static int DriverVersion()
    {
        EnsureLoadable();
        ThrowIfFailed(cuDriverGetVersion(out int version));
        return version;
    }

    public static int DeviceCount()
    {
        ThrowIfFailed(cuDeviceGetCount(out int count));
        return count;
    }

    public static CudaDeviceInfo Device(int ordinal)
    {
        ThrowIfFailed(cuDeviceGet(out CuDevice device, ordinal));
        var name = new byte[256];
        fixed (byte* p = name) ThrowIfFailed(cuDeviceGetName(p, name.Length, device));
        int length = Array.IndexOf(name, (byte)0);
        return new CudaDeviceInfo(
            device,
            Encoding.UTF8.GetString(name, 0, length < 0 ? name.Length : length),
            Attribute(device, CudaDeviceAttribute.ComputeCapabilityMajor),
            Attribute(device, CudaDeviceAttribute.ComputeCapabilityMinor),
            Attribute(device, CudaDeviceAttribute.MultiprocessorCount),
            Attribute(device, CudaDeviceAttribute.MaxSharedMemoryPerBlockOptin));
    }

    public static int Attribute(CuDevice device, CudaDeviceAttribute attribute)
    {
        ThrowIfFailed(cuDeviceGetAttribute(out int value, attribute, device));
        return value;
    }

    /// <summary>Free and total device memory of the current context's device, in bytes.</summary>
    public static (ulong Free, ulong Total) MemoryInfo()
    {
        ThrowIfFailed(cuMemGetInfo(out nuint free, out nuint total));
        return (free, total);
    }

    /// <summary>
    /// Enqueues <paramref name="function"/> on <paramref name="stream"/> with one by-value
    /// argument: the kernel's params struct (every kernel here takes exactly one). Returns at once.
    /// </summary>
    public static void Launch<TParams>(CuFunction function, Dim3 grid, Dim3 block, uint dynamicSharedBytes, CuStream stream, in TParams parameters)
        where TParams : unmanaged
    {
        TParams copy = parameters;
        void* argument = &copy;
        ThrowIfFailed(cuLaunchKernel(function, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, dynamicSharedBytes, stream, &argument, null));
    }

    // cuLaunchKernel copies the argument bytes before returning, so the stack copy above is enough.

    internal static void EnsureLoadable()
    {
        if (CudaLibraries.DriverHandle() == 0)
        {
            string why = CudaLibraries.DriverFailure ?? "the CUDA driver library could not be loaded";
            throw new CudaException($"CUDA driver unavailable: {why}", "load libcuda", "library not found", -1);
        }
    }
}
