// The CPU emulator behind the device interface: allocations are aligned native memory whose
// addresses serve as device pointers, launches run the g++-built kernels to completion
// (the emulator has no asynchrony, so enqueue order is trivially kept).
using System.Runtime.InteropServices;
using Rtfm.Cuda.Emulation;

namespace Rtfm.Cuda.Devices;

public sealed unsafe class EmulatedDevice : ICudaDevice
{
    private readonly KernelEmulator _emulator;

    public EmulatedDevice(KernelEmulator emulator) => _emulator = emulator;

    /// <summary>Builds (or reuses) the emulated kernels of <paramref name="kernelDirectory"/>.</summary>
    public static EmulatedDevice Open(string kernelDirectory, string cacheDirectory) =>
        new(KernelEmulator.Load(kernelDirectory, cacheDirectory));

    public string Name => $"emulator ({_emulator.Workers} workers)";

    public DeviceMemory Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        return new HostMemory(bytes);
    }

    public void Upload<T>(DeviceMemory destination, long offset, ReadOnlySpan<T> source) where T : unmanaged
    {
        long bytes = (long)source.Length * sizeof(T);
        destination.CheckRange(offset, bytes);
        MemoryMarshal.AsBytes(source).CopyTo(new Span<byte>((byte*)destination.Pointer.Address + offset, checked((int)bytes)));
    }

    public void Download<T>(DeviceMemory source, long offset, Span<T> destination) where T : unmanaged
    {
        long bytes = (long)destination.Length * sizeof(T);
        source.CheckRange(offset, bytes);
        new ReadOnlySpan<byte>((byte*)source.Pointer.Address + offset, checked((int)bytes)).CopyTo(MemoryMarshal.AsBytes(destination));
    }

    public void Copy(DeviceMemory source, long sourceOffset, DeviceMemory destination, long destinationOffset, long bytes)
    {
        source.CheckRange(sourceOffset, bytes);
        destination.CheckRange(destinationOffset, bytes);
        Buffer.MemoryCopy((byte*)source.Pointer.Address + sourceOffset, (byte*)destination.Pointer.Address + destinationOffset, bytes, bytes);
    }

    public void Fill(DeviceMemory memory, byte value) =>
        NativeMemory.Fill((void*)memory.Pointer.Address, (nuint)memory.Bytes, value);

    public void Launch<TParams>(string kernel, Dim3 grid, Dim3 block, uint dynamicSharedBytes, in TParams parameters) where TParams : unmanaged =>
        _emulator.Launch(kernel, grid, block, dynamicSharedBytes, parameters);

    public void Synchronize()
    {
        // Every operation above has completed when it returns.
    }

    public void Dispose()
    {
        // Allocations free themselves; the emulator library stays loaded for the process.
    }

    private sealed class HostMemory : DeviceMemory
    {
        private int _freed;

        // 256-byte alignment, as cuMemAlloc guarantees: kernels may rely on it for vector loads.
        public HostMemory(long bytes) : base(new CuDevicePtr((ulong)NativeMemory.AlignedAlloc((nuint)bytes, 256)), bytes)
        {
        }

        ~HostMemory() => Free();

        public override void Dispose()
        {
            Free();
            GC.SuppressFinalize(this);
        }

        private void Free()
        {
            if (Interlocked.Exchange(ref _freed, 1) == 0) NativeMemory.AlignedFree((void*)Pointer.Address);
        }
    }
}
