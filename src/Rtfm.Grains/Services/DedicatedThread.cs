// One thread of its own that runs queued work in arrival order, a task scheduler over it. The
// silo has two:
// - the CPU engine's ("rtfm-engine"). The engine's model is not thread-safe and its loops use
//   every core, so requests run one at a time on the thread that calls the engine's parallel
//   loops, as in a process that only renders. Callers await a task; no thread-pool thread
//   blocks on the engine (on a 2-core silo two blocked pool threads starve the grains' turns and
//   I/O completions until the pool injects threads).
// - the write-behind's ("rtfm-background", BackgroundWork), at idle CPU priority.
using System.Collections.Concurrent;
using System.Diagnostics;

namespace Rtfm.Grains.Services;

internal sealed class DedicatedThread : TaskScheduler, IDisposable
{
    private readonly BlockingCollection<Task> _queue = new();
    private readonly Thread _thread;
    private readonly Action? _onStart;
    private int _disposed;
    private long _busyTicks, _items;

    /// <param name="onStart">Runs first on the new thread (e.g. to lower its priority).</param>
    public DedicatedThread(string name, Action? onStart = null)
    {
        _onStart = onStart;
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Runs <paramref name="work"/> here; the task completes with its result or exception, and
    /// the caller's continuation runs on the thread pool, not here.</summary>
    public Task<T> Run<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach | TaskCreationOptions.HideScheduler | TaskCreationOptions.RunContinuationsAsynchronously, Scheduler());

    /// <summary>Runs <paramref name="work"/> here; its own awaits resume here too (this scheduler is captured).</summary>
    public Task<T> RunAsync<T>(Func<Task<T>> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, Scheduler()).Unwrap();

    /// <inheritdoc cref="RunAsync{T}(Func{Task{T}})"/>
    public Task RunAsync(Func<Task> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, Scheduler()).Unwrap();

    private DedicatedThread Scheduler() =>
        Volatile.Read(ref _disposed) == 0 ? this : throw new ObjectDisposedException(_thread.Name, "its thread is shut down");

    /// <summary>Time spent running work, and how many work items ran (an async item counts once per resumption).</summary>
    public (TimeSpan Busy, long Items) Usage => (Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _busyTicks)), Interlocked.Read(ref _items));

    private void Loop()
    {
        _onStart?.Invoke();
        foreach (var task in _queue.GetConsumingEnumerable())
        {
            long t0 = Stopwatch.GetTimestamp();
            TryExecuteTask(task);
            Interlocked.Add(ref _busyTicks, Stopwatch.GetTimestamp() - t0);
            Interlocked.Increment(ref _items);
        }
    }

    protected override void QueueTask(Task task)
    {
        try { _queue.Add(task); }
        catch (InvalidOperationException) { throw new ObjectDisposedException(_thread.Name, "its thread is shut down"); }
    }

    // Inline only on this thread itself (an await that completed synchronously).
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        Thread.CurrentThread == _thread && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    public override int MaximumConcurrencyLevel => 1;

    /// <summary>Runs what is queued, then stops the thread.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _queue.CompleteAdding();
        _thread.Join();
    }
}
