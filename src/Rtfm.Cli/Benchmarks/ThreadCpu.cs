// CPU time and context switches per thread of this process (Linux: /proc/self/task/*/stat and
// status; elsewhere empty): where a benchmark's CPU went, engine threads against the rest,
// without a profiler.
using System.Globalization;

namespace Rtfm.Cli.Benchmarks;

internal static class ThreadCpu
{
    /// <summary>One thread at one moment: its name, clock ticks of CPU (user + system), and its context switches.</summary>
    public readonly record struct Sample(string Name, long Ticks, long Involuntary, long Voluntary);

    /// <summary>Every thread of this process, by thread id.</summary>
    public static Dictionary<int, Sample> Snapshot()
    {
        var result = new Dictionary<int, Sample>();
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
                long involuntary = 0, voluntary = 0;
                foreach (var line in File.ReadLines(Path.Combine(dir, "status")))
                {
                    if (line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal)) involuntary = long.Parse(line[27..].Trim(), CultureInfo.InvariantCulture);
                    else if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)) voluntary = long.Parse(line[24..].Trim(), CultureInfo.InvariantCulture);
                }
                result[int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture)] = new(stat[(open + 1)..close], ticks, involuntary, voluntary);
            }
            catch (IOException) { } // the thread ended meanwhile
        }
        return result;
    }

    /// <summary>ms of CPU per <paramref name="frames"/> between two snapshots, by thread name, largest first.</summary>
    public static string PerFrame(Dictionary<int, Sample> before, Dictionary<int, Sample> after, int frames)
    {
        const double msPerTick = 10.0; // USER_HZ = 100 on Linux
        var byName = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (tid, now) in after)
        {
            long d = now.Ticks - (before.TryGetValue(tid, out var b) ? b.Ticks : 0);
            if (d > 0) byName[now.Name] = byName.GetValueOrDefault(now.Name) + d;
        }
        return string.Join(", ", byName.OrderByDescending(kv => kv.Value).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value * msPerTick / frames:F1}")));
    }

    /// <summary>Involuntary and voluntary context switches per <paramref name="frames"/> between two snapshots, of the threads named <paramref name="prefix"/>*.</summary>
    public static (double Involuntary, double Voluntary) Switches(Dictionary<int, Sample> before, Dictionary<int, Sample> after, string prefix, int frames)
    {
        long involuntary = 0, voluntary = 0;
        foreach (var (tid, now) in after)
        {
            if (!now.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            before.TryGetValue(tid, out var b);
            involuntary += now.Involuntary - b.Involuntary;
            voluntary += now.Voluntary - b.Voluntary;
        }
        return (involuntary / (double)frames, voluntary / (double)frames);
    }
}
