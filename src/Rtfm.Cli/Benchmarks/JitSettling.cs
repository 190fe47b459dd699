// Benchmarks time the steady state. Tiered compilation recompiles a method in the background some
// time after it got hot (30 calls, then a 100 ms delay that restarts while new methods keep
// arriving), so a freshly started silo is still compiling its hot paths for seconds after its
// warm-up; measured then, the JIT thread's work would be counted as per-frame cost.
using System.Diagnostics;
using System.Runtime;

namespace Rtfm.Cli.Benchmarks;

internal static class JitSettling
{
    /// <summary>Waits until no method has been compiled for <paramref name="quiet"/>, at most <paramref name="limit"/>; returns the methods compiled meanwhile.</summary>
    public static long Wait(TimeSpan quiet, TimeSpan limit)
    {
        long first = JitInfo.GetCompiledMethodCount(), count = first;
        var total = Stopwatch.StartNew();
        var still = Stopwatch.StartNew();
        while (still.Elapsed < quiet && total.Elapsed < limit)
        {
            Thread.Sleep(25);
            long now = JitInfo.GetCompiledMethodCount();
            if (now != count)
            {
                count = now;
                still.Restart();
            }
        }
        return count - first;
    }
}
