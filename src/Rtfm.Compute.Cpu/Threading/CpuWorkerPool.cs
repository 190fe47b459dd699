// A persistent pool of worker threads for the engine's data-parallel loops. The calling thread
// takes part; items are claimed one at a time from a single 64-bit word (loop generation, next
// index), so a thread only ever claims an item of the loop that is running. A loop ends when its
// items are done, not when every worker has checked in: a worker that another thread has
// preempted (the silo's request handling, storage writes, the JIT, other processes) holds up a
// loop only if it had claimed an item, and otherwise joins a later loop whenever it gets its core
// back. A waiting thread (a worker between loops, the caller until the claimed items finish)
// spins briefly, then yields its core a few times, then sleeps on a monitor: ~10-20 µs in all on
// an idle machine, which covers most gaps between the ~450 back-to-back loops of a frame. It never
// spins long: a spinner burns the core that the preempted thread or the preempting work needs
// (docs/decisions.md). No allocation per call: the work item is a reusable object implementing
// IParallelWork.
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
    // High 32 bits: the loop's generation; low 32 bits: the next unclaimed index.
    private long _state;
    private int _completed;
    private int _callerSleeping;
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
            // Closes the last loop for good before its work and count are replaced: a worker
            // still in that loop that reads the new work or count cannot then claim an index.
            uint last = Generation(Volatile.Read(ref _state));
            Interlocked.Exchange(ref _state, ((long)last << 32) | int.MaxValue);
            _count = count;
            _error = null;
            Volatile.Write(ref _completed, 0);
            Volatile.Write(ref _work, work);
            uint generation = unchecked(last + 1);
            // Publishes the work and the count with the new generation (a release write): a
            // thread that reads this generation reads this loop's work, or a later loop's, which
            // its claim then fails to match.
            Volatile.Write(ref _state, (long)generation << 32);
            lock (_startGate) Monitor.PulseAll(_startGate);
            RunItems(generation);
            WaitForCompletion(count);
            _work = null;
            _error?.Throw();
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private static uint Generation(long state) => (uint)((ulong)state >> 32);

    /// <summary>Claims and runs items of loop `generation` until none are left or the loop has moved on.</summary>
    private void RunItems(uint generation)
    {
        var work = Volatile.Read(ref _work);
        int count = Volatile.Read(ref _count);
        if (work is null) return; // that loop has ended
        t_insideLoop = true;
        try
        {
            while (true)
            {
                long state = Volatile.Read(ref _state);
                if (Generation(state) != generation) return;
                int index = (int)(uint)state;
                if (index >= count) return;
                if (Interlocked.CompareExchange(ref _state, state + 1, state) != state) continue;
                int done = 1;
                try
                {
                    work.Execute(index);
                }
                catch (Exception ex)
                {
                    Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(ex), null);
                    done += StopHandingOut(generation, count);
                }
                if (Interlocked.Add(ref _completed, done) == count && Volatile.Read(ref _callerSleeping) != 0)
                {
                    lock (_doneGate) Monitor.PulseAll(_doneGate);
                }
            }
        }
        finally
        {
            t_insideLoop = false;
        }
    }

    /// <summary>Claims every item not yet handed out (so none starts) and returns how many that was.</summary>
    private int StopHandingOut(uint generation, int count)
    {
        while (true)
        {
            long state = Volatile.Read(ref _state);
            int index = (int)(uint)state;
            if (Generation(state) != generation || index >= count) return 0;
            if (Interlocked.CompareExchange(ref _state, ((long)generation << 32) | (uint)count, state) == state) return count - index;
        }
    }

    private void WaitForCompletion(int count)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref _completed) != count)
        {
            if (spin.Count < SpinsBeforeSleep)
            {
                spin.SpinOnce(sleep1Threshold: -1);
                continue;
            }
            lock (_doneGate)
            {
                // A full fence between this flag and the read of the count below; the thread
                // that completes the last item adds to the count, then reads the flag.
                Interlocked.Exchange(ref _callerSleeping, 1);
                while (Volatile.Read(ref _completed) != count) Monitor.Wait(_doneGate);
                Volatile.Write(ref _callerSleeping, 0);
            }
        }
    }

    private void WorkerLoop()
    {
        uint seen = 0;
        while (true)
        {
            var spin = new SpinWait();
            while (Generation(Volatile.Read(ref _state)) == seen && !_disposed)
            {
                if (spin.Count < SpinsBeforeSleep)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                    continue;
                }
                lock (_startGate)
                {
                    while (Generation(Volatile.Read(ref _state)) == seen && !_disposed) Monitor.Wait(_startGate);
                }
            }
            if (_disposed) return;
            seen = Generation(Volatile.Read(ref _state));
            RunItems(seen);
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
