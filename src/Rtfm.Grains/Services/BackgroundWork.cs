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
using Microsoft.Extensions.Logging;

namespace Rtfm.Grains.Services;

public sealed partial class BackgroundWork : IDisposable
{
    private readonly DedicatedThread _thread;

    public BackgroundWork(WriteBehindOptions options, ILogger<BackgroundWork> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        LowPriority = options.LowPriority;
        _thread = new DedicatedThread("rtfm-background", () =>
        {
            if (LowPriority) Priority = CpuPriority.ToIdle();
            LogPriority(logger, Priority);
        });
    }

    /// <summary>Whether the thread runs at idle priority (WriteBehindOptions.LowPriority).</summary>
    public bool LowPriority { get; }

    /// <summary>The priority the thread got, e.g. "SCHED_IDLE"; set once the thread started.</summary>
    public string Priority { get; private set; } = "normal";

    /// <summary>Runs <paramref name="work"/> on the background thread; its awaits resume there.</summary>
    public Task<T> Run<T>(Func<Task<T>> work) => _thread.RunAsync(work);

    /// <inheritdoc cref="Run{T}(Func{Task{T}})"/>
    public Task Run(Func<Task> work) => _thread.RunAsync(work);

    /// <summary>Runs what is queued, then stops the thread.</summary>
    public void Dispose() => _thread.Dispose();

    [LoggerMessage(EventId = 2009, Level = LogLevel.Information, Message = "Write-behind runs on its own thread at {Priority} priority")]
    private static partial void LogPriority(ILogger logger, string priority);
}
