// The silo's background work: what a session keeps is written behind (hash, serialise, store)
// on one dedicated thread at the lowest CPU priority the OS grants without privileges
// (Linux: SCHED_IDLE; elsewhere the lowest thread priority). On a render silo the engine's
// loops take every core, and each of a frame's ~450 parallel loops ends when its slowest thread
// does: a normal-priority writer waking on a core preempts an engine thread mid-loop and stalls
// the whole render for the write's duration (measured: renders 25% slower with the writes
// on the thread pool, docs/benchmarks.md). At idle priority the writes fill the cores' idle
// gaps (between loops, between frames) and never preempt a render. When the engine leaves no
// gaps the writes wait, the session's write-behind queue grows to its bound and steps wait
// for room, so the writes are slowed, never starved for good.
// Work queued here runs in order; awaits inside it resume here (the task scheduler is
// captured), library code that continues elsewhere (ConfigureAwait(false)) does so.
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Rtfm.Grains.Services;

public sealed partial class BackgroundWork : TaskScheduler, IDisposable
{
    private readonly BlockingCollection<Task> _queue = new();
    private readonly Thread _thread;
    private int _disposed;
    private readonly ILogger<BackgroundWork> _logger;

    public BackgroundWork(WriteBehindOptions options, ILogger<BackgroundWork> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        LowPriority = options.LowPriority;
        _thread = new Thread(Loop) { IsBackground = true, Name = "rtfm-background" };
        _thread.Start();
    }

    /// <summary>Whether the thread runs at idle priority (WriteBehindOptions.LowPriority).</summary>
    public bool LowPriority { get; }

    /// <summary>The priority the thread got, e.g. "SCHED_IDLE"; set once the thread started.</summary>
    public string Priority { get; private set; } = "normal";

    /// <summary>Runs <paramref name="work"/> on the background thread; its awaits resume there.</summary>
    public Task<T> Run<T>(Func<Task<T>> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap();

    /// <inheritdoc cref="Run{T}(Func{Task{T}})"/>
    public Task Run(Func<Task> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap();

    private void Loop()
    {
        if (LowPriority) Priority = CpuPriority.ToIdle();
        LogPriority(_logger, Priority);
        foreach (var task in _queue.GetConsumingEnumerable()) TryExecuteTask(task);
    }

    protected override void QueueTask(Task task)
    {
        try { _queue.Add(task); }
        catch (InvalidOperationException) { throw new ObjectDisposedException(nameof(BackgroundWork), "the silo's background work is shut down"); }
    }

    // Inline only on the background thread itself (an await that completed synchronously).
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

    [LoggerMessage(EventId = 2009, Level = LogLevel.Information, Message = "Write-behind runs on its own thread at {Priority} priority")]
    private static partial void LogPriority(ILogger logger, string priority);
}
