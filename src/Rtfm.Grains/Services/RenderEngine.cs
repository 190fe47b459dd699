// A silo's renderer, shared by every session on the silo through a bounded queue (at most
// MaxWaiting queued, beyond that a clear "busy" error instead of an unbounded backlog), and a
// bounded LRU cache of KV blocks in host memory keyed by (model id, frame image name).
// - CPU engine: one model, one render at a time.
// - GPU (CudaRenderPool): renders run at once, each on its own stream and workspace, reading
//   device-resident copies of their context blocks (DeviceKvCache). A CUDA error fails the
//   request over to the CPU engine (a Polly fallback): sessions hold their blocks in host memory,
//   so the CPU engine renders the same frame from them. An error that leaves the device unusable
//   (an illegal address, a failed launch) also retires the GPU: every later request runs on the
//   CPU engine, the silo's health says why, and the log says so once.
// Work runs off the Orleans scheduler: CPU engine requests on the engine's own thread (DedicatedThread),
// GPU requests on the thread pool.
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Fallback;
using Rtfm.Cuda;
using Rtfm.Cuda.Backend;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;
using Rtfm.Model;

namespace Rtfm.Grains.Services;

public sealed class RenderEngineOptions
{
    /// <summary>Renders that may wait for the engine before new ones are refused as busy.</summary>
    public int MaxWaiting { get; set; } = 16;

    /// <summary>KV blocks kept in memory (LRU).</summary>
    public int KvCacheBlocks { get; set; } = 512;

    public int Threads { get; set; }
}

public sealed class WriteBehindOptions
{
    /// <summary>Kept frames a session may hold unwritten (each holds its KV block in memory: 0.8 MB for
    /// the tiny model) before its steps fail; ~30 s of walking at interactive rates with storage down.</summary>
    public int MaxPendingFrames { get; set; } = 256;

    /// <summary>Cached views a session may hold unwritten (~10 KB each); the oldest is dropped beyond.</summary>
    public int MaxPendingViews { get; set; } = 512;

    /// <summary>Write behind on a thread at idle CPU priority (BackgroundWork), so that storing what sessions keep
    /// never preempts a render; false: at normal priority.</summary>
    public bool LowPriority { get; set; } = true;
}

/// <summary>The silo's render queue is full: try again later or on another silo.</summary>
public sealed class RenderBusyException(string message) : InvalidOperationException(message);

public sealed partial class RenderEngine : IDisposable
{
    private static readonly ResiliencePropertyKey<Func<Task<object>>> CpuWork = new("rtfm.cpu-work");
    private static readonly ResiliencePropertyKey<string> WorkName = new("rtfm.work");

    private readonly PlatformModel _platform;
    private readonly DedicatedThread _engineThread = new("rtfm-engine");
    private readonly RenderEngineOptions _options;
    private readonly PlatformHealth? _health;
    private readonly ILogger<RenderEngine> _logger;
    private readonly Lazy<RtfmModel> _cpu;
    private readonly CudaRenderPool? _pool;
    private readonly ResiliencePipeline<object> _failover;
    private readonly object _cacheLock = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, KvBlock Block)>> _cache = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, KvBlock Block)> _lru = new();
    private string? _gpuFault; // read with Volatile.Read: set once, from any request's thread
    private int _waiting;

    public RenderEngine(PlatformModel model, RenderEngineOptions options, ILogger<RenderEngine> logger)
        : this(model, options, RenderBackendSelection.Cpu(), null, logger)
    {
    }

    public RenderEngine(PlatformModel model, RenderEngineOptions options, RenderBackendSelection backend, ILogger<RenderEngine> logger)
        : this(model, options, backend, null, logger)
    {
    }

    public RenderEngine(PlatformModel model, RenderEngineOptions options, RenderBackendSelection backend, PlatformHealth? health, ILogger<RenderEngine> logger)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(backend);
        _platform = model;
        _options = options;
        _health = health;
        _logger = logger;
        if (backend.FallbackReason is { } why) LogCudaFallback(_logger, why);
        try
        {
            _pool = backend.CreateCudaPool(model.Weights);
        }
        catch (Exception e) when (e is CudaException or InvalidOperationException)
        {
            // Uploading the weights failed after the device opened: serve on the CPU engine, degraded.
            string reason = $"{e.GetType().Name}: {e.Message}";
            LogCudaFallback(_logger, reason);
            _gpuFault = "the GPU render pool could not start: " + reason;
            _health?.RenderFailed(_gpuFault);
        }
        // A GPU silo builds its CPU engine only when it first fails over (weights packed then).
        _cpu = new(() => new RtfmModel(model.Weights, RenderBackendSelection.CreateCpuBackend(options.Threads)), LazyThreadSafetyMode.ExecutionAndPublication);
        if (_pool is null) _ = _cpu.Value;
        else LogGpu(_logger, _pool.Model.Backend.Name, backend.Capacity!.ToString());
        LogBackend(_logger, BackendName);
        _failover = new ResiliencePipelineBuilder<object>()
            .AddFallback(new FallbackStrategyOptions<object>
            {
                ShouldHandle = new PredicateBuilder<object>().Handle<CudaException>(),
                OnFallback = args =>
                {
                    OnCudaError((CudaException)args.Outcome.Exception!, args.Context.Properties.GetValue(WorkName, "work"));
                    return default;
                },
                FallbackAction = async args => Outcome.FromResult(await args.Context.Properties.GetValue(CpuWork, null!)().ConfigureAwait(false)),
            })
            .Build();
    }

    /// <summary>The compute backend's name, e.g. "cpu-avx512x2" or "cuda-bf16 on NVIDIA H100 (sm_90)".</summary>
    public string BackendName => _pool is not null && Volatile.Read(ref _gpuFault) is null ? _pool.Model.Backend.Name : _cpu.Value.Backend.Name;

    public ModelConfig Config => _platform.Config;

    public string ModelId => _platform.ModelId;

    public int CachedBlocks { get { lock (_cacheLock) return _cache.Count; } }

    /// <summary>Time the CPU engine spent on requests, and how many it ran, since the silo started.</summary>
    public (TimeSpan Busy, long Requests) CpuEngineUsage => _engineThread.Usage;

    /// <summary>The GPU's render pool (lanes, device KV cache); null on a CPU silo.</summary>
    public CudaRenderPool? Gpu => _pool;

    /// <summary>Why the GPU was given up (the silo renders on the CPU engine since); null while it is used.</summary>
    public string? GpuFault => Volatile.Read(ref _gpuFault);

    /// <summary>Runs <paramref name="work"/> on the CPU engine's model, alone, on the thread pool; throws <see cref="RenderBusyException"/> when the queue is full.</summary>
    internal Task<T> RunAsync<T>(Func<RtfmModel, T> work) => QueueAsync(null, work, "work");

    // One request: on the GPU while it is usable (failing over to the CPU engine on a CUDA error), else on the CPU engine.
    private async Task<T> QueueAsync<T>(Func<CudaRenderPool, T>? gpu, Func<RtfmModel, T> cpu, string what)
    {
        int limit = _options.MaxWaiting + (_pool?.Lanes ?? 1);
        if (Interlocked.Increment(ref _waiting) > limit)
        {
            Interlocked.Decrement(ref _waiting);
            LogBusy(_logger, _options.MaxWaiting);
            throw new RenderBusyException($"render queue is full ({_options.MaxWaiting} waiting); retry later or on another render silo");
        }
        try
        {
            if (gpu is not null && _pool is { } pool && Volatile.Read(ref _gpuFault) is null)
            {
                return await Task.Run(async () =>
                {
                    var context = ResilienceContextPool.Shared.Get();
                    try
                    {
                        context.Properties.Set(CpuWork, () => OnCpuAsync(cpu));
                        context.Properties.Set(WorkName, what);
                        // The GPU work is synchronous (a lane's stream), on this pool thread; a failed-over
                        // request awaits the CPU engine's thread instead of blocking a pool thread on it.
                        return (T)await _failover.ExecuteAsync(static (_, state) => ValueTask.FromResult((object)state.gpu(state.pool)!), context, (gpu, pool)).ConfigureAwait(false);
                    }
                    finally
                    {
                        ResilienceContextPool.Shared.Return(context);
                    }
                }).ConfigureAwait(false);
            }
            var model = _cpu.Value;
            return await _engineThread.Run(() => cpu(model)).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    // A GPU request failing over: it runs on the CPU engine's thread, in turn with the others.
    private async Task<object> OnCpuAsync<T>(Func<RtfmModel, T> work)
    {
        var model = _cpu.Value;
        return (await _engineThread.Run(() => work(model)).ConfigureAwait(false))!;
    }

    private void OnCudaError(CudaException error, string what)
    {
        if (CudaErrors.IsContextFatal(error) && Interlocked.CompareExchange(ref _gpuFault, $"{error.ErrorName} during {what}: {error.Message}", null) is null)
        {
            LogGpuRetired(_logger, what, error.ErrorName, error.Message);
            _health?.RenderFailed($"{error.ErrorName} during {what}; rendering on the CPU engine since");
        }
        else
        {
            LogGpuRequestFailedOver(_logger, what, error.ErrorName, error.Message);
        }
    }

    /// <summary>Renders the view from <paramref name="pose"/>; <paramref name="context"/> holds host blocks with their cache keys.</summary>
    public Task<RgbImage> RenderAsync(Pose pose, Intrinsics intrinsics, IReadOnlyList<KeyedKvBlock> context, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(context);
        return QueueAsync(
            p => p.Render(pose, intrinsics, context, seed),
            m => m.Render(pose, intrinsics, context.Select(c => c.Block).ToArray(), seed),
            "render");
    }

    /// <summary>Encodes a frame into its KV block, in host memory; with a <paramref name="key"/> a GPU keeps it resident too.</summary>
    public Task<KvBlock> EncodeAsync(RgbImage frame, Pose pose, Intrinsics intrinsics, string? key = null) =>
        QueueAsync(p => p.Encode(frame, pose, intrinsics, key), m => m.Encode(frame, pose, intrinsics), "encode");

    /// <summary>The stored form of a block: a device block is read back by the engine, a host block is
    /// serialised on the thread pool.</summary>
    public Task<byte[]> SerializeAsync(KvBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        return block.IsOnHost ? Task.Run(() => Serialize(block)) : RunAsync(m => m.SerializeBlock(block));
    }

    /// <summary>The stored form of a host block, on the calling thread (the write-behind's background thread):
    /// it needs nothing of the engine.</summary>
    public byte[] Serialize(KvBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (!block.IsOnHost) throw new ArgumentException("the block is on the device: SerializeAsync reads it back through the engine", nameof(block));
        return (_pool?.Model ?? _cpu.Value).SerializeBlock(block);
    }

    /// <summary>Loads a stored block into host memory; null when it is corrupt or from another model (the caller re-encodes).</summary>
    public async Task<KvBlock?> TryDeserializeAsync(byte[] bytes, string what)
    {
        var model = _pool?.Model ?? _cpu.Value;
        try { return await Task.Run(() => model.DeserializeBlock(bytes, onHost: true)).ConfigureAwait(false); }
        catch (InvalidDataException ex) { LogBadBlock(_logger, what, ex.Message); return null; }
        catch (KvBlockMismatchException ex) { LogBadBlock(_logger, what, ex.Message); return null; }
    }

    /// <summary>
    /// Runs an encode and two renders on a synthetic frame so that the first session on this silo
    /// (e.g. one failing over from a dead silo) does not pay for JIT compilation and first-touch
    /// allocation of the engine.
    /// </summary>
    public async Task WarmUpAsync()
    {
        var c = Config;
        var image = RgbImage.Noise(c.ImageWidth, c.ImageHeight, seed: 1);
        var k = Intrinsics.FromFieldOfView(c.ImageWidth, c.ImageHeight, 60f);
        string key = ModelId + "|warm-up";
        var block = await EncodeAsync(image, Pose.Identity, k, key).ConfigureAwait(false);
        var context = Enumerable.Repeat(new KeyedKvBlock(key, block), c.ContextFrames).ToArray();
        for (int i = 0; i < 2; i++) await RenderAsync(Pose.Identity, k, context, (ulong)i).ConfigureAwait(false);
    }

    public KvBlock? GetCached(string key)
    {
        lock (_cacheLock)
        {
            if (!_cache.TryGetValue(key, out var node)) return null;
            _lru.Remove(node);
            _lru.AddFirst(node);
            return node.Value.Block;
        }
    }

    public void PutCached(string key, KvBlock block)
    {
        lock (_cacheLock)
        {
            if (_cache.ContainsKey(key)) return;
            _cache[key] = _lru.AddFirst((key, block));
            while (_cache.Count > _options.KvCacheBlocks)
            {
                var last = _lru.Last!;
                _lru.RemoveLast();
                _cache.Remove(last.Value.Key);
            }
        }
    }

    public void Dispose()
    {
        _pool?.Dispose();
        _engineThread.Dispose();
        if (_cpu.IsValueCreated) _cpu.Value.Dispose();
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Render queue full ({MaxWaiting} waiting): refusing a render")]
    private static partial void LogBusy(ILogger logger, int maxWaiting);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Render = cuda was requested but the CUDA backend could not start ({Reason}); this silo renders on the CPU and advertises rtfm.render = cpu")]
    private static partial void LogCudaFallback(ILogger logger, string reason);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Render engine on {Backend}")]
    private static partial void LogBackend(ILogger logger, string backend);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "GPU {Backend} sized from its free memory: {Capacity}")]
    private static partial void LogGpu(ILogger logger, string backend, string capacity);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Error, Message = "CUDA error {Error} during a {What} leaves the GPU unusable ({Message}): this request and every later one render on the CPU engine; the silo reports itself degraded until it restarts")]
    private static partial void LogGpuRetired(ILogger logger, string what, string error, string message);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "CUDA error {Error} during a {What} ({Message}): this request fails over to the CPU engine; the GPU stays in use")]
    private static partial void LogGpuRequestFailedOver(ILogger logger, string what, string error, string message);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Stored KV block {What} is unusable ({Reason}); re-encoding its frame")]
    private static partial void LogBadBlock(ILogger logger, string what, string reason);
}
