// CPU time per thread name of this process (Linux: /proc/self/task/*/stat; elsewhere empty):
// where a benchmark's CPU went, engine threads against the rest, without a profiler.
using System.Globalization;

namespace Rtfm.Cli.Benchmarks;

internal static class ThreadCpu
{
    /// <summary>Clock ticks of CPU (user + system) per thread, with the thread's name.</summary>
    public static Dictionary<int, (string Name, long Ticks)> Snapshot()
    {
        var result = new Dictionary<int, (string, long)>();
        const string tasks = "/proc/self/task";
        if (!Directory.Exists(tasks)) return result;
        foreach (var dir in Directory.EnumerateDirectories(tasks))
        {
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int open = stat.IndexOf('(', StringComparison.Ordinal), close = stat.LastIndexOf(')');
                string[] fields = stat[(close + 2)..].Split(' ');
                long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                result[int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture)] = (stat[(open + 1)..close], ticks);
            }
            catch (IOException) { } // the thread ended meanwhile
        }
        return result;
    }

    /// <summary>Involuntary and voluntary context switches of the threads named <paramref name="prefix"/>*.</summary>
    public static (long Involuntary, long Voluntary) Switches(string prefix)
    {
        long inv = 0, vol = 0;
        const string tasks = "/proc/self/task";
        if (!Directory.Exists(tasks)) return (0, 0);
        foreach (var dir in Directory.EnumerateDirectories(tasks))
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(dir, "comm")).StartsWith(prefix, StringComparison.Ordinal)) continue;
                foreach (var line in File.ReadLines(Path.Combine(dir, "status")))
                {
                    if (line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal)) inv += long.Parse(line[27..].Trim(), CultureInfo.InvariantCulture);
                    else if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)) vol += long.Parse(line[24..].Trim(), CultureInfo.InvariantCulture);
                }
            }
            catch (IOException) { }
        }
        return (inv, vol);
    }

    /// <summary>ms of CPU per <paramref name="frames"/> between two snapshots, by thread name, largest first.</summary>
    public static string PerFrame(Dictionary<int, (string Name, long Ticks)> before, Dictionary<int, (string Name, long Ticks)> after, int frames)
    {
        const double msPerTick = 10.0; // USER_HZ = 100 on Linux
        var byName = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (tid, (name, ticks)) in after)
        {
            long d = ticks - (before.TryGetValue(tid, out var b) ? b.Ticks : 0);
            if (d > 0) byName[name] = byName.GetValueOrDefault(name) + d;
        }
        return string.Join(", ", byName.OrderByDescending(kv => kv.Value).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value * msPerTick / frames:F1}")));
    }
}
