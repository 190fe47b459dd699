// The driver binding on a machine without a GPU: loading and initialising fail with a message
// that says what is missing, and result codes are reported by their C names with the failing
// expression. On a machine with the driver the same tests check the real answers instead.
using System.Runtime.CompilerServices;
using Rtfm.Cuda.Driver;
using Rtfm.Cuda.Interop;

namespace Rtfm.Cuda.Tests;

public sealed class DriverBindingTests
{
    [Fact]
    public void Init_reports_a_missing_driver_or_device_clearly()
    {
        if (CudaLibraries.DriverHandle() == 0)
        {
            var e = Assert.Throws<CudaException>(CudaDriver.Init);
            Assert.Equal(-1, e.Code);
            Assert.Contains("libcuda.so.1", e.Message, StringComparison.Ordinal);
            Assert.Contains("no NVIDIA driver", e.Message, StringComparison.Ordinal);
            Assert.StartsWith("CUDA driver unavailable:", e.Message, StringComparison.Ordinal);
            return;
        }
        try
        {
            CudaDriver.Init();
            Assert.True(CudaDriver.DeviceCount() >= 1, "cuInit succeeded but the driver lists no device");
        }
        catch (CudaException e)
        {
            // A driver without a usable device: the message must name the call and the cause.
            Assert.Equal("cuInit(0)", e.Expression);
            Assert.StartsWith("cuInit(0) failed: CUDA_ERROR_", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ThrowIfFailed_names_the_result_and_the_expression()
    {
        static CudaResult LaunchThatRanOutOfRegisters() => CudaResult.LaunchOutOfResources;
        var e = Assert.Throws<CudaException>(() => CudaCheck.ThrowIfFailed(LaunchThatRanOutOfRegisters()));
        Assert.Equal("LaunchThatRanOutOfRegisters()", e.Expression);
        Assert.Equal("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", e.ErrorName);
        Assert.Equal(701, e.Code);
        Assert.StartsWith("LaunchThatRanOutOfRegisters() failed: CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES (701): ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Success_does_not_throw()
    {
        CudaCheck.ThrowIfFailed(CudaResult.Success);
        CudaCheck.ThrowIfFailed(NvrtcResult.Success);
        Assert.Equal("CUDA_SUCCESS", ResultNames.Symbolic(CudaResult.Success));
    }

    [Fact]
    public void Handles_have_the_size_of_the_c_handles()
    {
        Assert.Equal(sizeof(int), Unsafe.SizeOf<CuDevice>());
        Assert.Equal(IntPtr.Size, Unsafe.SizeOf<CuContext>());
        Assert.Equal(IntPtr.Size, Unsafe.SizeOf<CuModule>());
        Assert.Equal(IntPtr.Size, Unsafe.SizeOf<CuFunction>());
        Assert.Equal(IntPtr.Size, Unsafe.SizeOf<CuStream>());
        Assert.Equal(IntPtr.Size, Unsafe.SizeOf<CuEvent>());
        Assert.Equal(sizeof(ulong), Unsafe.SizeOf<CuDevicePtr>());
        Assert.Equal(0x1000UL + 24, new CuDevicePtr(0x1000).Offset(24).Address);
    }
}
