// A persistent pool of worker threads for the engine's data-parallel loops. The calling thread
// takes part; indices are handed out by an atomic counter. A waiting thread (a worker between
// loops, the caller until the workers finish) spins briefly, then yields its core a few times,
// then sleeps on a monitor: ~10-20 µs in all on an idle machine, which covers most gaps between
// the ~450 back-to-back loops of a frame. It never spins long: when another thread preempts one
// of the pool's (the silo's request handling and storage writes, the JIT, other processes), a
// spinner burns the core that the preempted thread or the preempting work needs. With 200 µs
// spins, a loaded 2-core machine spent 3x the CPU per frame (docs/decisions.md). No allocation
// per call: the work item is a reusable object implementing IParallelWork.
using System.Runtime.ExceptionServices;

namespace Rtfm.Compute.Cpu.Threading;

/// <summary>A loop body: Execute(i) for every i in [0, count), in any order, on any thread.</summary>
public interface IParallelWork
{
    void Execute(int index);
}

public sealed class CpuWorkerPool : IDisposable
{
    /// <summary>SpinWait iterations before a waiter sleeps: its first 10 spin, the next ones yield the core.</summary>
    private const int SpinsBeforeSleep = 30;

    [ThreadStatic] private static bool t_insideLoop;

    private readonly Thread[] _workers;
    private readonly object _startGate = new();
    private readonly object _doneGate = new();
    private IParallelWork? _work;
    private int _count;
    private int _next;
    private int _pending;
    private long _generation;
    private int _busy;
    private volatile bool _disposed;
    private ExceptionDispatchInfo? _error;

    public CpuWorkerPool(int threads = 0)
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), $"threads = {threads} must be >= 0 (0 = one per core)");
        Threads = threads == 0 ? Environment.ProcessorCount : threads;
        _workers = new Thread[Threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"rtfm-cpu-{i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>Threads taking part in a loop, the caller included.</summary>
    public int Threads { get; }

    /// <summary>
    /// Runs work.Execute(i) for i in [0, count) and returns when all are done. The first
    /// exception of any item is rethrown here after the loop stops. A loop may not start
    /// another loop on the same pool from inside an item (InvalidOperationException).
    /// </summary>
    public void For(int count, IParallelWork work)
    {
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
        if (count == 0) return;
        if (t_insideLoop) throw new InvalidOperationException("CpuWorkerPool.For was called from inside a loop item; nested loops are not supported");
        if (Interlocked.Exchange(ref _busy, 1) != 0) throw new InvalidOperationException("CpuWorkerPool is already running a loop on another thread; give each caller its own pool");
        try
        {
            if (_workers.Length == 0 || count == 1)
            {
                t_insideLoop = true;
                try { for (int i = 0; i < count; i++) work.Execute(i); }
                finally { t_insideLoop = false; }
                return;
            }
            _work = work;
            _count = count;
            _error = null;
            Volatile.Write(ref _next, 0);
            Volatile.Write(ref _pending, _workers.Length);
            lock (_startGate)
            {
                _generation++;
                Monitor.PulseAll(_startGate);
            }
            RunItems();
            WaitForWorkers();
            _work = null;
            _error?.Throw();
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private void RunItems()
    {
        var work = _work!;
        int count = _count;
        t_insideLoop = true;
        try
        {
            while (true)
            {
                int i = Interlocked.Increment(ref _next) - 1;
                if (i >= count) break;
                work.Execute(i);
            }
        }
        catch (Exception ex)
        {
            Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(ex), null);
            Volatile.Write(ref _next, count); // stop handing out items
        }
        finally
        {
            t_insideLoop = false;
        }
    }

    private void WaitForWorkers()
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) != 0)
        {
            if (spin.Count < SpinsBeforeSleep)
            {
                spin.SpinOnce(sleep1Threshold: -1);
                continue;
            }
            lock (_doneGate)
            {
                while (Volatile.Read(ref _pending) != 0) Monitor.Wait(_doneGate);
            }
        }
    }

    private void WorkerLoop()
    {
        long seen = 0;
        while (true)
        {
            var spin = new SpinWait();
            while (Volatile.Read(ref _generation) == seen && !_disposed)
            {
                if (spin.Count < SpinsBeforeSleep)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                    continue;
                }
                lock (_startGate)
                {
                    while (_generation == seen && !_disposed) Monitor.Wait(_startGate);
                }
            }
            if (_disposed) return;
            seen = Volatile.Read(ref _generation);
            RunItems();
            if (Interlocked.Decrement(ref _pending) == 0)
            {
                lock (_doneGate) Monitor.PulseAll(_doneGate);
            }
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_startGate) Monitor.PulseAll(_startGate);
        foreach (var t in _workers) t.Join();
    }
}
