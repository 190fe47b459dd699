// CUDA driver API entry points (cuda.h), one to one, under their versioned export names (the
// _v2 symbols are what cuda.h's macros select for 64-bit device pointers).
using System.Runtime.InteropServices;

namespace Rtfm.Cuda.Interop;

internal static unsafe partial class CudaDriverNative
{
    static CudaDriverNative() => CudaLibraries.EnsureResolver();

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuInit(uint flags);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuDriverGetVersion(out int version);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuGetErrorName(CudaResult error, out byte* name);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuGetErrorString(CudaResult error, out byte* text);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuDeviceGetCount(out int count);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuDeviceGet(out CuDevice device, int ordinal);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuDeviceGetAttribute(out int value, CudaDeviceAttribute attribute, CuDevice device);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuDeviceGetName(byte* name, int length, CuDevice device);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuDevicePrimaryCtxRetain(out CuContext context, CuDevice device);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuDevicePrimaryCtxRelease_v2")]
    internal static partial CudaResult cuDevicePrimaryCtxRelease(CuDevice device);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuCtxSetCurrent(CuContext context);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuMemGetInfo_v2")]
    internal static partial CudaResult cuMemGetInfo(out nuint free, out nuint total);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuModuleLoadData(out CuModule module, void* image);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuModuleUnload(CuModule module);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuModuleGetFunction(out CuFunction function, CuModule module, byte* name);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuMemAlloc_v2")]
    internal static partial CudaResult cuMemAlloc(out CuDevicePtr pointer, nuint bytes);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuMemFree_v2")]
    internal static partial CudaResult cuMemFree(CuDevicePtr pointer);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuMemcpyHtoDAsync_v2")]
    internal static partial CudaResult cuMemcpyHtoDAsync(CuDevicePtr destination, void* source, nuint bytes, CuStream stream);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuMemcpyDtoHAsync_v2")]
    internal static partial CudaResult cuMemcpyDtoHAsync(void* destination, CuDevicePtr source, nuint bytes, CuStream stream);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuMemcpyDtoDAsync_v2")]
    internal static partial CudaResult cuMemcpyDtoDAsync(CuDevicePtr destination, CuDevicePtr source, nuint bytes, CuStream stream);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuMemsetD8Async(CuDevicePtr destination, byte value, nuint count, CuStream stream);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuStreamCreate(out CuStream stream, uint flags);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuStreamSynchronize(CuStream stream);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuStreamDestroy_v2")]
    internal static partial CudaResult cuStreamDestroy(CuStream stream);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuEventCreate(out CuEvent evt, uint flags);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuEventRecord(CuEvent evt, CuStream stream);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuEventSynchronize(CuEvent evt);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuEventElapsedTime(out float milliseconds, CuEvent start, CuEvent end);

    [LibraryImport(CudaLibraries.Driver, EntryPoint = "cuEventDestroy_v2")]
    internal static partial CudaResult cuEventDestroy(CuEvent evt);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial CudaResult cuLaunchKernel(
        CuFunction function,
        uint gridX, uint gridY, uint gridZ,
        uint blockX, uint blockY, uint blockZ,
        uint sharedMemoryBytes, CuStream stream, void** kernelParams, void** extra);

    /// <summary>The driver's symbolic name for a result (falls back to the enum name without a driver).</summary>
    internal static string DescribeName(CudaResult result)
    {
        try
        {
            if (cuGetErrorName(result, out byte* name) == CudaResult.Success && name is not null)
                return Marshal.PtrToStringUTF8((nint)name) ?? ResultNames.Symbolic(result);
        }
        catch (DllNotFoundException)
        {
        }
        return ResultNames.Symbolic(result);
    }

    /// <summary>The driver's description of a result, or a note that none is available.</summary>
    internal static string DescribeString(CudaResult result)
    {
        try
        {
            if (cuGetErrorString(result, out byte* text) == CudaResult.Success && text is not null)
                return Marshal.PtrToStringUTF8((nint)text) ?? "(no description)";
        }
        catch (DllNotFoundException)
        {
            return CudaLibraries.DriverFailure ?? "the CUDA driver library is not loaded";
        }
        return "(no description from the driver)";
    }
}

/// <summary>The CUdevice_attribute values the binding reads.</summary>
public enum CudaDeviceAttribute
{
    MaxThreadsPerBlock = 1,
    MaxSharedMemoryPerBlock = 8,
    WarpSize = 10,
    ClockRate = 13,
    MultiprocessorCount = 16,
    MemoryClockRate = 36,
    GlobalMemoryBusWidth = 37,
    ComputeCapabilityMajor = 75,
    ComputeCapabilityMinor = 76,
    MaxSharedMemoryPerBlockOptin = 97,
}
