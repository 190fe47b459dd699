// Owners of driver objects: each wraps one handle in a SafeHandle so that it is destroyed
// exactly once, also when the owner is only finalised. Copies and launches are enqueued on an
// explicit stream; none of these methods waits unless its name says Synchronize.
using System.Runtime.InteropServices;
using System.Text;
using static Rtfm.Cuda.CudaCheck;
using static Rtfm.Cuda.Interop.CudaDriverNative;

namespace Rtfm.Cuda.Driver;

/// <summary>A loaded module (CUBIN or PTX image).</summary>
public sealed unsafe class CudaModule : SafeHandle
{
    private CudaModule() : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    public CuModule Module => new(handle);

    /// <summary>Loads a CUBIN, or NUL-terminated PTX text (the driver JIT-compiles it), into the current context.</summary>
    public static CudaModule Load(ReadOnlySpan<byte> image)
    {
        CuModule loaded;
        fixed (byte* p = image) ThrowIfFailed(cuModuleLoadData(out loaded, p));
        var module = new CudaModule();
        module.SetHandle(loaded.Handle);
        return module;
    }

    /// <summary>Loads PTX text (NUL-terminated for the driver here).</summary>
    public static CudaModule LoadPtx(string ptx) => Load(Encoding.UTF8.GetBytes(ptx + "\0"));

    public CuFunction Function(string name)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(name + "\0");
        CuFunction function;
        fixed (byte* p = utf8) ThrowIfFailed(cuModuleGetFunction(out function, Module, p));
        return function;
    }

    protected override bool ReleaseHandle() => cuModuleUnload(new CuModule(handle)) == CudaResult.Success;
}

/// <summary>A stream: the queue launches and copies are ordered on.</summary>
public sealed class CudaStream : SafeHandle
{
    private CudaStream() : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    public CuStream Stream => new(handle);

    /// <summary>A new stream that does not synchronise with the legacy default stream (CU_STREAM_NON_BLOCKING).</summary>
    public static CudaStream Create()
    {
        ThrowIfFailed(cuStreamCreate(out CuStream created, 1));
        var stream = new CudaStream();
        stream.SetHandle(created.Handle);
        return stream;
    }

    /// <summary>Waits for everything enqueued so far.</summary>
    public void Synchronize() => ThrowIfFailed(cuStreamSynchronize(Stream));

    protected override bool ReleaseHandle() => cuStreamDestroy(new CuStream(handle)) == CudaResult.Success;
}

/// <summary>An event, for ordering and for timing work on a stream.</summary>
public sealed class CudaEvent : SafeHandle
{
    private CudaEvent() : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    public CuEvent Event => new(handle);

    public static CudaEvent Create()
    {
        ThrowIfFailed(cuEventCreate(out CuEvent created, 0));
        var evt = new CudaEvent();
        evt.SetHandle(created.Handle);
        return evt;
    }

    public void Record(CudaStream stream) => ThrowIfFailed(cuEventRecord(Event, stream.Stream));

    public void Synchronize() => ThrowIfFailed(cuEventSynchronize(Event));

    /// <summary>Milliseconds from <paramref name="start"/> to this event (both recorded and completed).</summary>
    public float ElapsedSince(CudaEvent start)
    {
        ThrowIfFailed(cuEventElapsedTime(out float ms, start.Event, Event));
        return ms;
    }

    protected override bool ReleaseHandle() => cuEventDestroy(new CuEvent(handle)) == CudaResult.Success;
}

/// <summary>A device allocation.</summary>
public sealed unsafe class DeviceBuffer : SafeHandle
{
    private readonly CuContext? _context;

    private DeviceBuffer(long bytes, CuContext? context) : base(0, ownsHandle: true)
    {
        Bytes = bytes;
        _context = context;
    }

    public override bool IsInvalid => handle == 0;

    public long Bytes { get; }

    public CuDevicePtr Pointer => new((ulong)handle);

    /// <summary>
    /// Allocates in the calling thread's current context. With <paramref name="context"/> (that
    /// context), the release binds it first, so a buffer freed by the finalizer thread, which
    /// has no current context, is still freed in the right one.
    /// </summary>
    public static DeviceBuffer Allocate(long bytes, CuContext? context = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        ThrowIfFailed(cuMemAlloc(out CuDevicePtr pointer, (nuint)bytes));
        var buffer = new DeviceBuffer(bytes, context);
        buffer.SetHandle((nint)pointer.Address);
        // Dropped tensors (a KV block leaving a cache) are freed by their finalizers: tell the
        // GC what each holds, so that device memory held by garbage prompts collections.
        GC.AddMemoryPressure(bytes);
        return buffer;
    }

    /// <summary>
    /// Enqueues a copy from host memory at byte <paramref name="offset"/>. The source is
    /// pageable, so the driver stages it before returning and the span may be reused at once.
    /// </summary>
    public void CopyFromHost<T>(ReadOnlySpan<T> source, long offset, CudaStream stream) where T : unmanaged
    {
        long bytes = (long)source.Length * sizeof(T);
        CheckRange(offset, bytes);
        fixed (T* p = source) ThrowIfFailed(cuMemcpyHtoDAsync(Pointer.Offset(offset), p, (nuint)bytes, stream.Stream));
    }

    /// <summary>
    /// Copies to host memory from byte <paramref name="offset"/>. Into pageable memory the
    /// driver returns only once the copy is done, after the work enqueued before it.
    /// </summary>
    public void CopyToHost<T>(Span<T> destination, long offset, CudaStream stream) where T : unmanaged
    {
        long bytes = (long)destination.Length * sizeof(T);
        CheckRange(offset, bytes);
        fixed (T* p = destination) ThrowIfFailed(cuMemcpyDtoHAsync(p, Pointer.Offset(offset), (nuint)bytes, stream.Stream));
    }

    /// <summary>Enqueues a device-to-device copy of <paramref name="bytes"/> from <paramref name="source"/> at <paramref name="sourceOffset"/> to this buffer at <paramref name="offset"/>.</summary>
    public void CopyFromDevice(DeviceBuffer source, long sourceOffset, long offset, long bytes, CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckRange(offset, bytes);
        source.CheckRange(sourceOffset, bytes);
        ThrowIfFailed(cuMemcpyDtoDAsync(Pointer.Offset(offset), source.Pointer.Offset(sourceOffset), (nuint)bytes, stream.Stream));
    }

    /// <summary>Enqueues setting every byte to <paramref name="value"/>.</summary>
    public void Fill(byte value, CudaStream stream) => ThrowIfFailed(cuMemsetD8Async(Pointer, value, (nuint)Bytes, stream.Stream));

    protected override bool ReleaseHandle()
    {
        GC.RemoveMemoryPressure(Bytes);
        if (_context is { } context && cuCtxSetCurrent(context) != CudaResult.Success) return false;
        return cuMemFree(new CuDevicePtr((ulong)handle)) == CudaResult.Success;
    }

    private void CheckRange(long offset, long bytes)
    {
        if (offset < 0 || bytes < 0 || offset + bytes > Bytes)
            throw new ArgumentOutOfRangeException(nameof(offset), $"copy of {bytes} bytes at offset {offset} exceeds the {Bytes}-byte device buffer");
    }
}
