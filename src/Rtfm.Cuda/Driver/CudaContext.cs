// The device's primary context (the one the runtime API would use), retained for the owner's
// lifetime and released exactly once.
using static Rtfm.Cuda.CudaCheck;
using static Rtfm.Cuda.Interop.CudaDriverNative;

namespace Rtfm.Cuda.Driver;

public sealed class CudaPrimaryContext : IDisposable
{
    private bool _released;

    private CudaPrimaryContext(CuDevice device, CuContext context)
    {
        Device = device;
        Context = context;
    }

    public CuDevice Device { get; }

    public CuContext Context { get; }

    /// <summary>Retains the primary context of <paramref name="device"/> and makes it current on the calling thread.</summary>
    public static CudaPrimaryContext Retain(CuDevice device)
    {
        ThrowIfFailed(cuDevicePrimaryCtxRetain(out CuContext context, device));
        var owner = new CudaPrimaryContext(device, context);
        try
        {
            owner.MakeCurrent();
        }
        catch
        {
            owner.Dispose();
            throw;
        }
        return owner;
    }

    /// <summary>Binds the context to the calling thread (driver calls act on the current context).</summary>
    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_released, this);
        ThrowIfFailed(cuCtxSetCurrent(Context));
    }

    public void Dispose()
    {
        if (_released) return;
        _released = true;
        ThrowIfFailed(cuDevicePrimaryCtxRelease(Device));
    }
}
