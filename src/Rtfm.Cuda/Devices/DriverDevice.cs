// The real device: the primary context of one GPU, a non-blocking stream per device object, and
// every kernel file of KernelCatalog compiled by NVRTC for the device's own architecture and
// loaded as CUBIN. WithNewStream gives views sharing context and modules, each on its own stream.
using Rtfm.Cuda.Driver;
using Rtfm.Cuda.Kernels;

namespace Rtfm.Cuda.Devices;

public sealed class DriverDevice : ICudaDevice
{
    private readonly CudaPrimaryContext _context;
    private readonly CudaStream _stream;
    private readonly List<CudaModule> _modules;
    private readonly Dictionary<string, CuFunction> _kernels;
    private readonly bool _isView;

    private DriverDevice(CudaDeviceInfo info, CudaPrimaryContext context, CudaStream stream)
    {
        Info = info;
        _context = context;
        _stream = stream;
        _modules = [];
        _kernels = new(StringComparer.Ordinal);
    }

    private DriverDevice(DriverDevice owner, CudaStream stream)
    {
        Info = owner.Info;
        _context = owner._context;
        _stream = stream;
        _modules = owner._modules;
        _kernels = owner._kernels;
        _isView = true;
    }

    public CudaDeviceInfo Info { get; }

    public string Name => $"{Info.Name} ({Info.Architecture})";

    /// <summary>
    /// Opens GPU <paramref name="ordinal"/> and compiles the kernels of
    /// <paramref name="kernelDirectory"/> for it (through <paramref name="cubins"/> when given,
    /// so an unchanged kernel is loaded from disk). Throws a CudaException naming the cause when
    /// there is no driver, no device, or a kernel does not compile.
    /// </summary>
    public static DriverDevice Open(int ordinal, string kernelDirectory, CubinCache? cubins = null)
    {
        CudaDriver.Init();
        var info = CudaDriver.Device(ordinal);
        var context = CudaPrimaryContext.Retain(info.Device);
        DriverDevice? device = null;
        try
        {
            device = new DriverDevice(info, context, CudaStream.Create());
            foreach (var file in KernelCatalog.Files)
            {
                var cubin = cubins is null
                    ? KernelCompiler.Compile(kernelDirectory, file.FileName, info.Architecture).Cubin
                    : cubins.GetOrCompile(kernelDirectory, file.FileName, info.Architecture);
                var module = CudaModule.Load(cubin);
                device._modules.Add(module);
                foreach (var entry in file.Entries) device._kernels[entry.Name] = module.Function(entry.Name);
            }
            return device;
        }
        catch
        {
            if (device is not null) device.Dispose();
            else context.Dispose();
            throw;
        }
    }

    // Driver calls act on the calling thread's current context, and callers come from the
    // thread pool: every entry point binds the context first (a cheap driver call).
    public DeviceMemory Allocate(long bytes)
    {
        _context.MakeCurrent();
        // Tensors have no Dispose: most device memory is freed by finalizers, on a thread
        // without a current context; the buffer binds its context when it frees.
        return new DriverMemory(DeviceBuffer.Allocate(bytes, _context.Context));
    }

    public void Upload<T>(DeviceMemory destination, long offset, ReadOnlySpan<T> source) where T : unmanaged
    {
        _context.MakeCurrent();
        Buffer(destination).CopyFromHost(source, offset, _stream);
    }

    public void Download<T>(DeviceMemory source, long offset, Span<T> destination) where T : unmanaged
    {
        _context.MakeCurrent();
        Buffer(source).CopyToHost(destination, offset, _stream);
        _stream.Synchronize(); // the copy is into pageable memory; make "done" explicit
    }

    public void Copy(DeviceMemory source, long sourceOffset, DeviceMemory destination, long destinationOffset, long bytes)
    {
        _context.MakeCurrent();
        Buffer(destination).CopyFromDevice(Buffer(source), sourceOffset, destinationOffset, bytes, _stream);
    }

    public void Fill(DeviceMemory memory, byte value)
    {
        _context.MakeCurrent();
        Buffer(memory).Fill(value, _stream);
    }

    public void Launch<TParams>(string kernel, Dim3 grid, Dim3 block, uint dynamicSharedBytes, in TParams parameters) where TParams : unmanaged
    {
        if (!_kernels.TryGetValue(kernel, out var function)) throw new ArgumentException($"no kernel named {kernel} is loaded", nameof(kernel));
        _context.MakeCurrent();
        CudaDriver.Launch(function, grid, block, dynamicSharedBytes, _stream.Stream, parameters);
    }

    public void Synchronize()
    {
        _context.MakeCurrent();
        _stream.Synchronize();
    }

    public DeviceMemoryInfo MemoryInfo()
    {
        _context.MakeCurrent();
        var (free, total) = CudaDriver.MemoryInfo();
        return new DeviceMemoryInfo((long)free, (long)total);
    }

    public ICudaDevice WithNewStream()
    {
        _context.MakeCurrent();
        return new DriverDevice(this, CudaStream.Create());
    }

    public void Dispose()
    {
        _context.MakeCurrent();
        _stream.Dispose();
        if (_isView) return; // the owner keeps the context and modules
        foreach (var m in _modules) m.Dispose();
        _context.Dispose();
    }

    private static DeviceBuffer Buffer(DeviceMemory memory) =>
        memory is DriverMemory d ? d.Buffer : throw new ArgumentException("memory was allocated by another device", nameof(memory));

    private sealed class DriverMemory(DeviceBuffer buffer) : DeviceMemory(buffer.Pointer, buffer.Bytes)
    {
        public DeviceBuffer Buffer { get; } = buffer;

        public override void Dispose() => Buffer.Dispose();
    }
}
