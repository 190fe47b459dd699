// How a GPU silo renders several sessions at once: lanes, each a stream of the one device with
// its own workspace (activations and scratch) and the weights uploaded once, and the device KV
// cache that every lane reads. A render borrows a free lane for its duration, so renders in
// flight never share a stream or a scratch buffer and never wait on each other's work; at most
// Lanes render at once (the silo's session capacity), the rest wait for a lane.
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;
using Rtfm.Model;
using Rtfm.Model.Weights;

namespace Rtfm.Cuda.Backend;

/// <param name="Lanes">Renders that may run at once (streams and workspaces, created on first use).</param>
/// <param name="KvBudgetBytes">Device bytes of resident KV blocks.</param>
public sealed record CudaRenderPoolOptions(int Lanes, long KvBudgetBytes);

public sealed class CudaRenderPool : IDisposable
{
    private readonly CudaBackend _backend;
    private readonly SemaphoreSlim _free;
    private readonly Stack<Lane> _idle = new();
    private readonly List<Lane> _all = [];
    private int _inFlight, _peakInFlight;

    /// <param name="weights">The model; its weights are uploaded once, by <paramref name="backend"/>.</param>
    /// <param name="backend">The device's backend; the pool owns it from here.</param>
    public CudaRenderPool(ModelWeights weights, CudaBackend backend, CudaRenderPoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Lanes);
        _backend = backend ?? throw new ArgumentNullException(nameof(backend));
        Model = new RtfmModel(weights, backend);
        backend.Synchronize(); // the weights' uploads, on this stream, are read by every lane's
        Kv = new DeviceKvCache(Model, options.KvBudgetBytes);
        Lanes = options.Lanes;
        _free = new SemaphoreSlim(options.Lanes, options.Lanes);
    }

    /// <summary>The model on the device's first stream (prepared weights; lanes share them).</summary>
    public RtfmModel Model { get; }

    public DeviceKvCache Kv { get; }

    /// <summary>The most renders that run at once.</summary>
    public int Lanes { get; }

    /// <summary>Lanes created so far (each is created the first time every other is busy).</summary>
    public int LanesCreated
    {
        get { lock (_idle) return _all.Count; }
    }

    /// <summary>The most renders and encodes that were in flight at once.</summary>
    public int PeakInFlight => Volatile.Read(ref _peakInFlight);

    /// <summary>Renders the view from <paramref name="pose"/> on a free lane; <paramref name="context"/> holds host blocks with their cache keys.</summary>
    public RgbImage Render(Pose pose, Intrinsics intrinsics, IReadOnlyList<KeyedKvBlock> context, ulong seed)
    {
        var lane = Take();
        try
        {
            using var lease = Kv.Acquire(lane.Backend, context);
            // Returns after the frame's download: the lane has finished reading the leased blocks.
            return lane.Model.Render(pose, intrinsics, lease.Blocks, seed);
        }
        finally
        {
            Return(lane);
        }
    }

    /// <summary>
    /// Encodes a frame on a free lane and returns its block in host memory; with a
    /// <paramref name="key"/> the block also stays resident, so the next render that uses it hits.
    /// </summary>
    public KvBlock Encode(RgbImage frame, Pose pose, Intrinsics intrinsics, string? key)
    {
        var lane = Take();
        try
        {
            lane.Model.EncodeInto(frame, pose, intrinsics, lane.Scratch);
            var host = lane.Model.ToHost(lane.Scratch);
            if (key is not null) Kv.Insert(lane.Backend, key, lane.Scratch);
            return host;
        }
        finally
        {
            Return(lane);
        }
    }

    private Lane Take()
    {
        _free.Wait();
        int now = Interlocked.Increment(ref _inFlight);
        int peak;
        while (now > (peak = Volatile.Read(ref _peakInFlight)) && Interlocked.CompareExchange(ref _peakInFlight, now, peak) != peak)
        {
            // retry until the peak holds at least this count
        }
        lock (_idle)
        {
            if (_idle.TryPop(out var idle)) return idle;
        }
        try
        {
            var backend = _backend.WithNewStream();
            var model = Model.CreateLane(backend);
            var lane = new Lane(backend, model, model.AllocateBlock());
            lock (_idle) _all.Add(lane);
            return lane;
        }
        catch
        {
            Interlocked.Decrement(ref _inFlight);
            _free.Release();
            throw;
        }
    }

    private void Return(Lane lane)
    {
        lock (_idle) _idle.Push(lane);
        Interlocked.Decrement(ref _inFlight);
        _free.Release();
    }

    public void Dispose()
    {
        lock (_idle)
        {
            foreach (var lane in _all) lane.Model.Dispose();
            _all.Clear();
            _idle.Clear();
        }
        Model.Dispose();
        _free.Dispose();
    }

    /// <summary>A stream of the device, a workspace on it, and a block to encode into.</summary>
    private sealed record Lane(CudaBackend Backend, RtfmModel Model, KvBlock Scratch);
}
