// Lowering the CPU priority of the calling thread, without privileges: raising it back is not
// allowed to an ordinary process, so a thread lowered here stays lowered. Linux: SCHED_IDLE
// (runs only on an otherwise idle core) or a nice value (a smaller share, and it rarely preempts
// a normal thread on waking); elsewhere the lowest .NET thread priority.
using System.Runtime.InteropServices;

namespace Rtfm.Grains.Services;

internal static partial class CpuPriority
{
    /// <summary>Puts the calling thread at SCHED_IDLE (nice 19 if refused); returns what it got.</summary>
    public static string ToIdle()
    {
        if (!OperatingSystem.IsLinux()) return ToLowest();
        var param = new SchedParam();
        if (SchedSetScheduler(0, SchedIdle, ref param) == 0) return "SCHED_IDLE";
        return ToNice(19);
    }

    /// <summary>Sets the calling thread's nice value (Linux only; higher is lower priority); returns what it got.</summary>
    private static string ToNice(int nice)
    {
        // On Linux setpriority(PRIO_PROCESS, 0) applies to the calling thread only (threads are tasks).
        return SetPriority(0, 0, nice) == 0 ? $"nice {nice}" : "normal (the OS refused a lower priority)";
    }

    private static string ToLowest()
    {
        Thread.CurrentThread.Priority = ThreadPriority.Lowest;
        return "lowest";
    }

    private const int SchedIdle = 5;

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam
    {
        public int Priority;
    }

    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int SchedSetScheduler(int pid, int policy, ref SchedParam param);

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);
}
