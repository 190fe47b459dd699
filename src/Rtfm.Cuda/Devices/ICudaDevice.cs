// What the CUDA backend's host code needs from a device: memory, copies, and launches of the
// kernels in KernelCatalog by name with their params structs. Two implementations: the real
// driver (DriverDevice) and the CPU emulator (EmulatedDevice), so the same host code runs in CI
// without a GPU. Work is ordered on the stream the device object enqueues on; WithNewStream
// gives a view of the same device (same memory, same kernels) on a stream of its own, so two
// sessions' renders never wait on each other. Download and Synchronize wait for their stream only.
namespace Rtfm.Cuda.Devices;

public interface ICudaDevice : IDisposable
{
    /// <summary>e.g. "NVIDIA H100 80GB HBM3 (sm_90)" or "emulator (2 workers)".</summary>
    string Name { get; }

    /// <summary>A new allocation of <paramref name="bytes"/> (contents undefined until written).</summary>
    DeviceMemory Allocate(long bytes);

    /// <summary>Enqueues a copy of <paramref name="source"/> to <paramref name="destination"/> at byte <paramref name="offset"/>; the span may be reused on return.</summary>
    void Upload<T>(DeviceMemory destination, long offset, ReadOnlySpan<T> source) where T : unmanaged;

    /// <summary>Copies from <paramref name="source"/> at byte <paramref name="offset"/> after all work enqueued before it.</summary>
    void Download<T>(DeviceMemory source, long offset, Span<T> destination) where T : unmanaged;

    /// <summary>Enqueues a copy of <paramref name="bytes"/> between two allocations of this device (ranges must not overlap).</summary>
    void Copy(DeviceMemory source, long sourceOffset, DeviceMemory destination, long destinationOffset, long bytes);

    /// <summary>Enqueues setting every byte of <paramref name="memory"/> to <paramref name="value"/>.</summary>
    void Fill(DeviceMemory memory, byte value);

    /// <summary>Enqueues kernel <paramref name="kernel"/> (a KernelCatalog entry) with its params struct.</summary>
    void Launch<TParams>(string kernel, Dim3 grid, Dim3 block, uint dynamicSharedBytes, in TParams parameters) where TParams : unmanaged;

    /// <summary>Waits for all work enqueued on this object's stream.</summary>
    void Synchronize();

    /// <summary>Free and total device memory in bytes (cuMemGetInfo): what the silo sizes its sessions and KV budget by.</summary>
    DeviceMemoryInfo MemoryInfo();

    /// <summary>
    /// A view of this device that enqueues on a new stream of its own; allocations and kernels are
    /// shared with this object. Disposing the view destroys its stream only.
    /// </summary>
    ICudaDevice WithNewStream();
}

/// <summary>Device memory as the driver reports it.</summary>
public readonly record struct DeviceMemoryInfo(long FreeBytes, long TotalBytes);

/// <summary>A device allocation, freed on Dispose.</summary>
public abstract class DeviceMemory : IDisposable
{
    protected DeviceMemory(CuDevicePtr pointer, long bytes)
    {
        Pointer = pointer;
        Bytes = bytes;
    }

    public CuDevicePtr Pointer { get; }

    public long Bytes { get; }

    public abstract void Dispose();

    /// <summary>Throws unless [offset, offset + bytes) lies inside the allocation.</summary>
    public void CheckRange(long offset, long bytes)
    {
        if (offset < 0 || bytes < 0 || offset + bytes > Bytes)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{bytes} bytes at offset {offset} exceed the {Bytes}-byte device allocation");
    }
}
