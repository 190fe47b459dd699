// What a silo knows about its own health: kept frames its sessions have not written yet, sessions
// whose writes are failing and the last failure, whether blob storage's circuit is open, and why
// its GPU was given up (the render engine reports that).
// Sessions update the counters; HealthReporter sends a snapshot to the cluster health grain.
using Polly.CircuitBreaker;
using Rtfm.Grains.Abstractions;
using Rtfm.Persistence.AzureBlob.Storage;

namespace Rtfm.Grains.Services;

public sealed class PlatformHealth(string render, string storage, AzureBlobContentStores? blobs = null)
{
    private int _pendingFrames;
    private int _failingSessions;
    private volatile string? _lastError;
    private volatile string? _renderFault;

    /// <summary>Why the silo's GPU is no longer used (it renders on the CPU engine); null while it is healthy.</summary>
    public string? RenderFault => _renderFault;

    public void RenderFailed(string reason) => _renderFault ??= reason;

    public void FramesQueued(int delta) => Interlocked.Add(ref _pendingFrames, delta);

    public void SessionFailing(string error)
    {
        Interlocked.Increment(ref _failingSessions);
        _lastError = error;
    }

    public void SessionRecovered() => Interlocked.Decrement(ref _failingSessions);

    public SiloHealth Snapshot(string silo, DateTimeOffset now)
    {
        bool storageHealthy = blobs is null || blobs.CircuitState is CircuitState.Closed or CircuitState.HalfOpen;
        int failing = Volatile.Read(ref _failingSessions);
        return new SiloHealth(silo, render, storage, storageHealthy, Volatile.Read(ref _pendingFrames), failing,
            failing > 0 || !storageHealthy ? _lastError ?? "blob storage circuit is open" : null, now, _renderFault);
    }
}
