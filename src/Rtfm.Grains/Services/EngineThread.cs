// The CPU engine's own thread. The engine's model is not thread-safe and its loops use every
// core, so requests run one at a time, in arrival order, on one dedicated thread: the caller of
// the engine's parallel loops, as in a process that only renders. Callers await a task; no
// thread-pool thread blocks on the engine (on a 2-core silo two blocked pool threads starve
// the grains' turns and I/O completions until the pool injects threads).
using System.Collections.Concurrent;

namespace Rtfm.Grains.Services;

internal sealed class EngineThread : IDisposable
{
    private readonly BlockingCollection<Action> _queue = new();
    private readonly Thread _thread;
    private int _disposed;
    private long _busyTicks, _items;

    public EngineThread(string name)
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Queues <paramref name="work"/>; the task completes (on the thread pool) with its result or exception.</summary>
    public Task<T> Run<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _queue.Add(() =>
            {
                try { done.SetResult(work()); }
                catch (Exception ex) { done.SetException(ex); }
            });
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(EngineThread), "the render engine is shut down");
        }
        return done.Task;
    }

    private void Loop()
    {
        foreach (var work in _queue.GetConsumingEnumerable())
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            work();
            Interlocked.Add(ref _busyTicks, System.Diagnostics.Stopwatch.GetTimestamp() - t0);
            Interlocked.Increment(ref _items);
        }
    }

    /// <summary>Time spent running requests, and how many ran, since the thread started.</summary>
    public (TimeSpan Busy, long Items) Usage => (System.Diagnostics.Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _busyTicks)), Interlocked.Read(ref _items));

    /// <summary>Runs what is queued, then stops the thread.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _queue.CompleteAdding();
        _thread.Join();
    }
}
