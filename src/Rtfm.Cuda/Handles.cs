// Typed handles of the driver API: one readonly struct per CUDA handle type, each exactly the
// size of the C handle, so they pass through [LibraryImport] as blittable values and a module
// can never be passed where a stream is expected. Ownership lives in the owner classes
// (CudaModule, CudaStream, ...), never in these values.
using System.Runtime.InteropServices;

namespace Rtfm.Cuda;

/// <summary>CUdevice: a device ordinal as the driver numbers it.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct CuDevice(int Ordinal);

/// <summary>CUcontext.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct CuContext(nint Handle)
{
    public bool IsNull => Handle == 0;
}

/// <summary>CUmodule.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct CuModule(nint Handle);

/// <summary>CUfunction: a kernel entry point of a loaded module.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct CuFunction(nint Handle);

/// <summary>CUstream; the default value is the legacy default stream.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct CuStream(nint Handle);

/// <summary>CUevent.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct CuEvent(nint Handle);

/// <summary>CUdeviceptr: a device address (64-bit on every supported platform).</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct CuDevicePtr(ulong Address)
{
    public bool IsNull => Address == 0;

    /// <summary>The address <paramref name="bytes"/> further on.</summary>
    public CuDevicePtr Offset(long bytes) => new(checked((ulong)((long)Address + bytes)));
}

/// <summary>A launch grid or block size.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1);
