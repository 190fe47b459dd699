// A silo's renderer: one model on the backend the silo selected (CPU engine or CUDA), shared by every session on the silo through
// a bounded queue (one render at a time; at most MaxWaiting queued, beyond that a clear "busy"
// error instead of an unbounded backlog), and a bounded LRU cache of KV blocks keyed by
// (model id, frame image name). Work runs on the thread pool, off the Orleans scheduler.
using Microsoft.Extensions.Logging;
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
}

/// <summary>The silo's render queue is full: try again later or on another silo.</summary>
public sealed class RenderBusyException(string message) : InvalidOperationException(message);

public sealed partial class RenderEngine : IDisposable
{
    private readonly RtfmModel _model;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly RenderEngineOptions _options;
    private readonly ILogger<RenderEngine> _logger;
    private readonly object _cacheLock = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, KvBlock Block)>> _cache = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, KvBlock Block)> _lru = new();
    private int _waiting;

    public RenderEngine(PlatformModel model, RenderEngineOptions options, ILogger<RenderEngine> logger)
        : this(model, options, RenderBackendSelection.Cpu(), logger)
    {
    }

    public RenderEngine(PlatformModel model, RenderEngineOptions options, RenderBackendSelection backend, ILogger<RenderEngine> logger)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _options = options;
        _logger = logger;
        if (backend.FallbackReason is { } why) LogCudaFallback(_logger, why);
        _model = new RtfmModel(model.Weights, backend.CreateBackend(options.Threads));
        LogBackend(_logger, _model.Backend.Name);
    }

    /// <summary>The compute backend's name, e.g. "cpu-avx512x2" or "cuda-bf16 on NVIDIA H100 (sm_90)".</summary>
    public string BackendName => _model.Backend.Name;

    public ModelConfig Config => _model.Config;

    public string ModelId => _model.Version;

    public int CachedBlocks { get { lock (_cacheLock) return _cache.Count; } }

    /// <summary>Runs <paramref name="work"/> on the model, alone, on the thread pool; throws <see cref="RenderBusyException"/> when the queue is full.</summary>
    internal async Task<T> RunAsync<T>(Func<RtfmModel, T> work)
    {
        if (Interlocked.Increment(ref _waiting) > _options.MaxWaiting + 1)
        {
            Interlocked.Decrement(ref _waiting);
            LogBusy(_logger, _options.MaxWaiting);
            throw new RenderBusyException($"render queue is full ({_options.MaxWaiting} waiting); retry later or on another render silo");
        }
        try
        {
            await _gate.WaitAsync().ConfigureAwait(false);
            try { return await Task.Run(() => work(_model)).ConfigureAwait(false); }
            finally { _gate.Release(); }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    public Task<RgbImage> RenderAsync(Pose pose, Intrinsics intrinsics, IReadOnlyList<KvBlock> context, ulong seed) =>
        RunAsync(m => m.Render(pose, intrinsics, context, seed));

    public Task<KvBlock> EncodeAsync(RgbImage frame, Pose pose, Intrinsics intrinsics) =>
        RunAsync(m => m.Encode(frame, pose, intrinsics));

    public Task<byte[]> SerializeAsync(KvBlock block) => RunAsync(m => m.SerializeBlock(block));

    /// <summary>Loads a stored block; null when it is corrupt or from another model (the caller re-encodes).</summary>
    public async Task<KvBlock?> TryDeserializeAsync(byte[] bytes, string what)
    {
        try { return await RunAsync(m => m.DeserializeBlock(bytes)).ConfigureAwait(false); }
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
        var block = await EncodeAsync(image, Pose.Identity, k).ConfigureAwait(false);
        var context = Enumerable.Repeat(block, c.ContextFrames).ToArray();
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
        _model.Dispose();
        _gate.Dispose();
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Render queue full ({MaxWaiting} waiting): refusing a render")]
    private static partial void LogBusy(ILogger logger, int maxWaiting);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Render = cuda was requested but the CUDA backend could not start ({Reason}); this silo renders on the CPU and advertises rtfm.render = cpu")]
    private static partial void LogCudaFallback(ILogger logger, string reason);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Render engine on {Backend}")]
    private static partial void LogBackend(ILogger logger, string backend);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Stored KV block {What} is unusable ({Reason}); re-encoding its frame")]
    private static partial void LogBadBlock(ILogger logger, string what, string reason);
}
