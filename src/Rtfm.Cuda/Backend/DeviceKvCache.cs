// KV blocks resident in device memory under a byte budget, least recently used evicted first.
// Sessions hold blocks in host memory (their source of truth, and what the CPU engine renders
// from after a failover); a render asks for its context here and gets device copies, uploaded
// on a miss. Keys are "model version|content name of the frame", so every session of the silo
// that looks at the same frame shares one upload. A render pins its blocks until it has
// finished reading them; only unpinned blocks are evicted, and an evicted block's memory is
// reused for the next upload (nothing is freed, so eviction never synchronises the device).
using Rtfm.Compute;
using Rtfm.Model;

namespace Rtfm.Cuda.Backend;

/// <summary>Counters of a <see cref="DeviceKvCache"/>.</summary>
public readonly record struct DeviceKvCacheStats(long Hits, long Misses, long Evictions, int ResidentBlocks, long ResidentBytes, long PeakResidentBytes, long BudgetBytes);

/// <summary>The KV blocks the budget cannot hold at once are all pinned by renders in flight.</summary>
public sealed class KvBudgetExceededException(string message) : InvalidOperationException(message);

public sealed class DeviceKvCache
{
    private readonly RtfmModel _model;
    private readonly object _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _lru = new(); // first = most recently used
    private long _hits, _misses, _evictions, _peakBytes;

    /// <param name="model">The model whose backend holds the blocks (lanes of that backend read them).</param>
    /// <param name="budgetBytes">Device bytes the resident blocks may take; at least one render's context (K blocks).</param>
    public DeviceKvCache(RtfmModel model, long budgetBytes)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        BlockBytes = RtfmModel.BlockBytes(model.Config);
        BudgetBytes = budgetBytes;
        CapacityBlocks = (int)Math.Min(int.MaxValue, budgetBytes / BlockBytes);
        if (CapacityBlocks < model.Config.ContextFrames)
            throw new ArgumentOutOfRangeException(nameof(budgetBytes),
                $"a KV budget of {budgetBytes} bytes holds {CapacityBlocks} blocks of {BlockBytes} bytes; one render needs K = {model.Config.ContextFrames}: raise the budget");
    }

    public long BlockBytes { get; }

    public long BudgetBytes { get; }

    /// <summary>Blocks the budget holds.</summary>
    public int CapacityBlocks { get; }

    public DeviceKvCacheStats Stats
    {
        get
        {
            lock (_lock) return new(_hits, _misses, _evictions, _entries.Count, _entries.Count * BlockBytes, _peakBytes, BudgetBytes);
        }
    }

    /// <summary>Whether a block of <paramref name="key"/> is resident now.</summary>
    public bool IsResident(string key)
    {
        lock (_lock) return _entries.ContainsKey(key);
    }

    /// <summary>
    /// Device copies of <paramref name="context"/> (host blocks), uploaded on <paramref name="lane"/>
    /// where missing, pinned until the lease is disposed: dispose it once the render that reads them
    /// has finished (its download returned).
    /// </summary>
    public KvLease Acquire(IComputeBackend lane, IReadOnlyList<KeyedKvBlock> context)
    {
        ArgumentNullException.ThrowIfNull(lane);
        ArgumentNullException.ThrowIfNull(context);
        var pinned = new List<Entry>(context.Count);
        lock (_lock)
        {
            try
            {
                bool uploaded = false;
                foreach (var (key, block) in context)
                {
                    if (_entries.TryGetValue(key, out var entry))
                    {
                        _hits++;
                    }
                    else
                    {
                        _misses++;
                        entry = Store(key);
                        Write(lane, block, entry.Device);
                        uploaded = true;
                    }
                    entry.Pins++;
                    pinned.Add(entry);
                    Touch(entry);
                }
                // Other lanes may read these blocks as soon as the lock is released: the upload must be done.
                if (uploaded) lane.Synchronize();
            }
            catch
            {
                foreach (var e in pinned) e.Pins--;
                // Blocks uploaded before the failure stay resident: their uploads must be complete too.
                try { lane.Synchronize(); }
                catch (CudaException) { /* the device failed: the first error is the one to report */ }
                throw;
            }
        }
        return new KvLease(this, pinned);
    }

    /// <summary>
    /// Keeps a copy of <paramref name="block"/> (on <paramref name="lane"/>'s device or on the host)
    /// resident under <paramref name="key"/>: the block a session has just encoded is then a hit
    /// for its next render. Does nothing when the key is resident already, or when every resident
    /// block is pinned by a render in flight.
    /// </summary>
    public void Insert(IComputeBackend lane, string key, KvBlock block)
    {
        ArgumentNullException.ThrowIfNull(lane);
        ArgumentNullException.ThrowIfNull(block);
        lock (_lock)
        {
            if (_entries.ContainsKey(key)) return;
            Entry entry;
            try { entry = Store(key); }
            catch (KvBudgetExceededException)
            {
                return; // every block is in use by a render: the block stays on the host only, a miss later
            }
            try
            {
                Write(lane, block, entry.Device);
                lane.Synchronize();
            }
            catch
            {
                Remove(entry);
                throw;
            }
            Touch(entry);
        }
    }

    private void Release(List<Entry> entries)
    {
        lock (_lock)
        {
            foreach (var e in entries) e.Pins--;
        }
    }

    // A new entry for key: fresh memory while the budget allows, else the least recently used unpinned block's.
    private Entry Store(string key)
    {
        KvBlock device;
        if (_entries.Count < CapacityBlocks)
        {
            device = _model.AllocateBlock();
            _model.Backend.Synchronize(); // its zero fill, on the model's stream, must not land after a lane's upload
        }
        else
        {
            var victim = _lru.Last;
            while (victim is not null && victim.Value.Pins > 0) victim = victim.Previous;
            if (victim is null)
                throw new KvBudgetExceededException(
                    $"the KV budget ({BudgetBytes} bytes, {CapacityBlocks} blocks) is held entirely by renders in flight: lower the silo's session capacity or raise Cuda.KvBudgetBytes");
            device = victim.Value.Device;
            Remove(victim.Value);
            _evictions++;
        }
        var entry = new Entry(key, device);
        entry.Node = _lru.AddFirst(entry);
        _entries[key] = entry;
        _peakBytes = Math.Max(_peakBytes, _entries.Count * BlockBytes);
        return entry;
    }

    private void Remove(Entry entry)
    {
        _entries.Remove(entry.Key);
        _lru.Remove(entry.Node!);
    }

    private void Touch(Entry entry)
    {
        _lru.Remove(entry.Node!);
        _lru.AddFirst(entry.Node!);
    }

    private static void Write(IComputeBackend lane, KvBlock source, KvBlock destination)
    {
        if (source.Layers != destination.Layers || source.Tokens != destination.Tokens)
            throw new ArgumentException($"block is {source.Layers}x{source.Tokens}, the cache holds {destination.Layers}x{destination.Tokens}", nameof(source));
        for (int l = 0; l < source.Layers; l++)
        {
            if (source.IsOnHost)
            {
                lane.Upload(destination.Keys[l], ((Rtfm.Compute.Host.HostTensor)source.Keys[l]).Span);
                lane.Upload(destination.Values[l], ((Rtfm.Compute.Host.HostTensor)source.Values[l]).Span);
            }
            else
            {
                lane.Copy(source.Keys[l], destination.Keys[l]);
                lane.Copy(source.Values[l], destination.Values[l]);
            }
        }
    }

    internal sealed class Entry(string key, KvBlock device)
    {
        public string Key { get; } = key;

        public KvBlock Device { get; } = device;

        public int Pins { get; set; }

        public LinkedListNode<Entry>? Node { get; set; }
    }

    /// <summary>Device blocks pinned for one render; dispose when the render has finished reading them.</summary>
    public sealed class KvLease : IDisposable
    {
        private readonly DeviceKvCache _cache;
        private List<Entry>? _entries;

        internal KvLease(DeviceKvCache cache, List<Entry> entries)
        {
            _cache = cache;
            _entries = entries;
            Blocks = entries.Select(e => e.Device).ToArray();
        }

        /// <summary>The device blocks, in the order of the request.</summary>
        public IReadOnlyList<KvBlock> Blocks { get; }

        public void Dispose()
        {
            var entries = Interlocked.Exchange(ref _entries, null);
            if (entries is not null) _cache.Release(entries);
        }
    }
}
