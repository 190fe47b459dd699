// The CPU emulator behind the device interface: allocations are aligned native memory whose
// addresses serve as device pointers; launches run the g++-built kernels. Like the driver, each
// device object owns a stream: its operations run in enqueue order on its worker thread, asynchronously
// to the caller, and streams of one device run concurrently. The emulated GPU reports a
// configurable total memory (allocations beyond it fail with CUDA_ERROR_OUT_OF_MEMORY) and can
// inject a fault into its Nth launch, which, like a real illegal address, is sticky: every later
// operation of every stream of that device fails with the same error.
using System.Runtime.InteropServices;
using Rtfm.Cuda.Emulation;

namespace Rtfm.Cuda.Devices;

/// <summary>What the emulated GPU reports and does wrong on purpose.</summary>
public sealed record EmulatedDeviceOptions
{
    public const long DefaultTotalBytes = 16L << 30;

    /// <summary>Device memory the emulated GPU has (cuMemGetInfo's total); free is total minus live allocations.</summary>
    public long TotalBytes { get; init; } = DefaultTotalBytes;

    /// <summary>When set, the launch with this 1-based number (counted over all streams) fails with <see cref="FaultError"/>.</summary>
    public long? FailLaunch { get; init; }

    /// <summary>The error of the injected fault; CUDA_ERROR_ILLEGAL_ADDRESS (sticky, as on a GPU) by default.</summary>
    public CudaResult FaultError { get; init; } = CudaResult.IllegalAddress;
}

public sealed unsafe class EmulatedDevice : ICudaDevice
{
    private readonly EmulatedGpu _gpu;
    private readonly EmulatedStream _stream;

    public EmulatedDevice(KernelEmulator emulator, EmulatedDeviceOptions? options = null)
    {
        _gpu = new EmulatedGpu(emulator, options ?? new EmulatedDeviceOptions());
        _stream = new EmulatedStream(_gpu);
    }

    private EmulatedDevice(EmulatedGpu gpu)
    {
        _gpu = gpu;
        _stream = new EmulatedStream(gpu);
    }

    /// <summary>Builds (or reuses) the emulated kernels of <paramref name="kernelDirectory"/>.</summary>
    public static EmulatedDevice Open(string kernelDirectory, string cacheDirectory, EmulatedDeviceOptions? options = null) =>
        new(KernelEmulator.Load(kernelDirectory, cacheDirectory), options);

    public string Name => $"emulator ({_gpu.Emulator.Workers} workers)";

    /// <summary>Launches enqueued so far on every stream of this device.</summary>
    public long Launches => Interlocked.Read(ref _gpu.LaunchCount);

    /// <summary>Bytes of live allocations on this device (every stream).</summary>
    public long AllocatedBytes => Interlocked.Read(ref _gpu.Allocated);

    /// <summary>The most bytes ever allocated at once on this device.</summary>
    public long PeakAllocatedBytes => Interlocked.Read(ref _gpu.Peak);

    public DeviceMemory Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        _gpu.ThrowIfFaulted();
        // Rounded like cuMemAlloc's 256-byte granularity, so free memory moves as on a device.
        long charged = (bytes + 255) & ~255L;
        long now = Interlocked.Add(ref _gpu.Allocated, charged);
        if (now > _gpu.Options.TotalBytes)
        {
            Interlocked.Add(ref _gpu.Allocated, -charged);
            throw EmulatedGpu.Error(CudaResult.OutOfMemory, $"cuMemAlloc({bytes})", $"out of memory: {now - charged} of {_gpu.Options.TotalBytes} bytes in use");
        }
        long peak;
        while (now > (peak = Interlocked.Read(ref _gpu.Peak)) && Interlocked.CompareExchange(ref _gpu.Peak, now, peak) != peak)
        {
            // retry until the peak holds at least this allocation's total
        }
        return new HostMemory(_gpu, bytes, charged);
    }

    public void Upload<T>(DeviceMemory destination, long offset, ReadOnlySpan<T> source) where T : unmanaged
    {
        long bytes = (long)source.Length * sizeof(T);
        destination.CheckRange(offset, bytes);
        // The caller may reuse the span on return: the queued copy reads a snapshot.
        byte[] staged = MemoryMarshal.AsBytes(source).ToArray();
        var to = (byte*)destination.Pointer.Address + offset;
        _stream.Enqueue(() => staged.AsSpan().CopyTo(new Span<byte>(to, staged.Length)));
    }

    public void Download<T>(DeviceMemory source, long offset, Span<T> destination) where T : unmanaged
    {
        long bytes = (long)destination.Length * sizeof(T);
        source.CheckRange(offset, bytes);
        _stream.Synchronize(); // a copy into pageable memory returns when done, after the stream's earlier work
        new ReadOnlySpan<byte>((byte*)source.Pointer.Address + offset, checked((int)bytes)).CopyTo(MemoryMarshal.AsBytes(destination));
    }

    public void Copy(DeviceMemory source, long sourceOffset, DeviceMemory destination, long destinationOffset, long bytes)
    {
        source.CheckRange(sourceOffset, bytes);
        destination.CheckRange(destinationOffset, bytes);
        var from = (byte*)source.Pointer.Address + sourceOffset;
        var to = (byte*)destination.Pointer.Address + destinationOffset;
        _stream.Enqueue(() => Buffer.MemoryCopy(from, to, bytes, bytes));
    }

    public void Fill(DeviceMemory memory, byte value)
    {
        var at = (void*)memory.Pointer.Address;
        var bytes = (nuint)memory.Bytes;
        _stream.Enqueue(() => NativeMemory.Fill(at, bytes, value));
    }

    public void Launch<TParams>(string kernel, Dim3 grid, Dim3 block, uint dynamicSharedBytes, in TParams parameters) where TParams : unmanaged
    {
        _gpu.ThrowIfFaulted();
        long number = Interlocked.Increment(ref _gpu.LaunchCount);
        var p = parameters;
        var emulator = _gpu.Emulator;
        var (failAt, fault) = _gpu.Injected;
        if (number == failAt)
        {
            // A GPU reports a faulting kernel at the next synchronising call, not at the launch.
            _stream.Enqueue(() => throw EmulatedGpu.Error(fault, $"{kernel} (launch {number})", "injected fault"));
            return;
        }
        _stream.Enqueue(() => emulator.Launch(kernel, grid, block, dynamicSharedBytes, p));
    }

    public void Synchronize() => _stream.Synchronize();

    /// <summary>Makes the launch <paramref name="launchesFromNow"/> launches from now (1 = the next) fail with <paramref name="error"/>, on whichever stream it is.</summary>
    public void InjectFault(long launchesFromNow, CudaResult error = CudaResult.IllegalAddress)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(launchesFromNow);
        _gpu.Injected = (Interlocked.Read(ref _gpu.LaunchCount) + launchesFromNow, error);
    }

    public DeviceMemoryInfo MemoryInfo()
    {
        _gpu.ThrowIfFaulted();
        long total = _gpu.Options.TotalBytes;
        return new DeviceMemoryInfo(total - Interlocked.Read(ref _gpu.Allocated), total);
    }

    public ICudaDevice WithNewStream() => new EmulatedDevice(_gpu);

    public void Dispose()
    {
        // Allocations free themselves; the emulator library stays loaded for the process. The
        // stream's queued work is drained, as cuStreamDestroy lets it finish.
        try { _stream.Drain(); }
        catch (CudaException)
        {
            // A faulted stream: its error was (or will be) reported by the calls that saw it.
        }
        _stream.Stop();
    }

    /// <summary>The state shared by a device and its stream views.</summary>
    private sealed class EmulatedGpu(KernelEmulator emulator, EmulatedDeviceOptions options)
    {
        public readonly KernelEmulator Emulator = emulator;
        public readonly EmulatedDeviceOptions Options = options;
        public long Allocated;
        public long Peak;
        public long LaunchCount;
        public volatile Tuple<long, CudaResult>? InjectedFault = options.FailLaunch is { } n ? Tuple.Create(n, options.FaultError) : null;

        public (long At, CudaResult Error) Injected
        {
            get => InjectedFault is { } f ? (f.Item1, f.Item2) : (-1, CudaResult.Success);
            set => InjectedFault = Tuple.Create(value.At, value.Error);
        }
        private volatile CudaException? _sticky;
        private readonly List<EmulatedStream> _streams = [];

        public void Register(EmulatedStream stream)
        {
            lock (_streams) _streams.Add(stream);
        }

        /// <summary>
        /// Waits until no stream has queued or running work, as cuMemFree synchronises the device:
        /// memory freed (also by a finalizer) while a queued kernel still reads it would hand the
        /// kernel freed memory.
        /// </summary>
        public void WaitAllIdle()
        {
            EmulatedStream[] streams;
            lock (_streams) streams = [.. _streams];
            foreach (var stream in streams) stream.WaitIdle();
        }

        public void Fault(CudaException error)
        {
            if (CudaErrors.IsContextFatal(error.Code)) _sticky ??= error;
        }

        public void ThrowIfFaulted()
        {
            if (_sticky is { } e) throw Error((CudaResult)e.Code, e.Expression, "the context is unusable after an earlier fault: " + e.Message);
        }

        public static CudaException Error(CudaResult result, string expression, string text)
        {
            string name = Interop.ResultNames.Symbolic(result);
            return new CudaException($"{expression} failed: {name} ({(int)result}): {text}", expression, name, (int)result);
        }
    }

    /// <summary>
    /// One stream: operations run one after another, in enqueue order, on the stream's own worker
    /// thread (not the thread pool: callers that wait on a stream from pool threads must not
    /// starve the work they wait for).
    /// </summary>
    private sealed class EmulatedStream
    {
        private readonly EmulatedGpu _gpu;
        private readonly object _lock = new();
        private readonly Queue<Action> _queue = new();
        private CudaException? _error;
        private bool _running;
        private bool _stopped;

        public EmulatedStream(EmulatedGpu gpu)
        {
            _gpu = gpu;
            _worker = new Thread(Work) { IsBackground = true, Name = "emulated CUDA stream" };
            _worker.Start();
            gpu.Register(this);
        }

        private readonly Thread _worker;

        /// <summary>Waits for queued and running work, reporting nothing (errors stay for the next synchronising call).</summary>
        public void WaitIdle()
        {
            if (Thread.CurrentThread == _worker) return;
            lock (_lock)
            {
                while ((_queue.Count > 0 && !_stopped) || _running) Monitor.Wait(_lock);
            }
        }

        public void Enqueue(Action operation)
        {
            _gpu.ThrowIfFaulted();
            lock (_lock)
            {
                if (_error is not null) throw Reported();
                _queue.Enqueue(operation);
                Monitor.PulseAll(_lock);
            }
        }

        public void Synchronize()
        {
            Drain();
            _gpu.ThrowIfFaulted();
        }

        public void Drain()
        {
            lock (_lock)
            {
                while (_queue.Count > 0 || _running) Monitor.Wait(_lock);
                if (_error is not null) throw Reported();
            }
        }

        /// <summary>Ends the worker once the queue is empty (the stream is destroyed).</summary>
        public void Stop()
        {
            lock (_lock)
            {
                _stopped = true;
                Monitor.PulseAll(_lock);
            }
        }

        private void Work()
        {
            while (true)
            {
                Action operation;
                lock (_lock)
                {
                    while (_queue.Count == 0 && !_stopped) Monitor.Wait(_lock);
                    if (_queue.Count == 0) return;
                    operation = _queue.Dequeue();
                    if (_error is not null)
                    {
                        Monitor.PulseAll(_lock);
                        continue; // a faulted stream runs nothing more until the error is reported
                    }
                    _running = true;
                }
                CudaException? failure = null;
                try
                {
                    _gpu.ThrowIfFaulted();
                    operation();
                }
                catch (CudaException e)
                {
                    failure = e;
                }
                catch (Exception e)
                {
                    // Anything else the emulator throws (an unknown kernel, a bad launch) fails the stream alike.
                    failure = EmulatedGpu.Error(CudaResult.LaunchFailed, "emulated launch", e.Message);
                }
                if (failure is not null) _gpu.Fault(failure);
                lock (_lock)
                {
                    if (failure is not null) _error ??= failure;
                    _running = false;
                    Monitor.PulseAll(_lock);
                }
            }
        }

        // Reported once, as the driver does: a sticky error keeps failing through the device's
        // fault, any other is cleared once a call has returned it. Called under _lock.
        private CudaException Reported()
        {
            var e = _error!;
            _error = null;
            return EmulatedGpu.Error((CudaResult)e.Code, e.Expression, e.Message);
        }
    }

    private sealed class HostMemory : DeviceMemory
    {
        private readonly EmulatedGpu _gpu;
        private readonly long _charged;
        private int _freed;

        // 256-byte alignment, as cuMemAlloc guarantees: kernels may rely on it for vector loads.
        public HostMemory(EmulatedGpu gpu, long bytes, long charged) : base(new CuDevicePtr((ulong)NativeMemory.AlignedAlloc((nuint)bytes, 256)), bytes)
        {
            _gpu = gpu;
            _charged = charged;
        }

        ~HostMemory() => Free();

        public override void Dispose()
        {
            Free();
            GC.SuppressFinalize(this);
        }

        private void Free()
        {
            if (Interlocked.Exchange(ref _freed, 1) != 0) return;
            _gpu.WaitAllIdle();
            NativeMemory.AlignedFree((void*)Pointer.Address);
            Interlocked.Add(ref _gpu.Allocated, -_charged);
        }
    }
}
