// rtfm bench engine: per-op and per-frame times of the CPU engine, FLOPs per frame from the
// config, achieved GFLOP/s, and the f32 GEMM rate measured in the same run; writes
// docs/benchmarks.md. A benchmark, not a test: it asserts nothing and prints ratios.
using System.CommandLine;
using Rtfm.Cli.Benchmarks;

namespace Rtfm.Cli.Commands;

internal static class BenchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var threads = CommonOptions.Threads();
        var seconds = new Option<double>("--seconds") { Description = "minimum measuring time per figure", DefaultValueFactory = _ => 2.0 }
            .Check(v => v > 0 && v <= 600 ? null : $"--seconds must be in (0, 600], got {v}");
        var output = new Option<string>("--write") { Description = "markdown report to write", DefaultValueFactory = _ => Path.Combine("docs", "benchmarks.md") };
        var engine = new Command("engine", "CPU engine: GEMM rate, per-op and per-frame times, frames/s; writes docs/benchmarks.md") { threads, seconds, output };
        engine.SetAction(p =>
        {
            var report = EngineBenchmark.Run(p.GetValue(threads), p.GetValue(seconds), stdout, stderr);
            BenchmarkReport.WriteSection(p.GetValue(output)!, "engine", report);
            stdout.WriteLine($"wrote {p.GetValue(output)}");
            return 0;
        });
        var pThreads = CommonOptions.Threads();
        var pFrames = CommonOptions.PositiveInt("--frames", "steps per round, shared among the sessions (each of n sessions walks frames / n steps)", 192, 10_000);
        var pRounds = CommonOptions.PositiveInt("--rounds", "alternating rounds per session count (the best is reported)", 5, 20);
        var pSessions = new Option<string>("--sessions") { Description = "concurrent session counts to measure, comma-separated", DefaultValueFactory = _ => "1,2,4" };
        var pOutput = new Option<string>("--write") { Description = "markdown report to write", DefaultValueFactory = _ => Path.Combine("docs", "benchmarks.md") };
        var platform = new Command("platform", "frames/s for 1, 2 and 4 concurrent sessions through the grains vs the engine alone; writes docs/benchmarks.md") { pThreads, pFrames, pRounds, pSessions, pOutput };
        platform.SetAction(p =>
        {
            int[] counts = PositiveList("--sessions", p.GetValue(pSessions)!, "session counts", "counts", 64);
            var report = PlatformBenchmark.Run(p.GetValue(pThreads), p.GetValue(pFrames), p.GetValue(pRounds), counts, stdout);
            int t = p.GetValue(pThreads);
            BenchmarkReport.WriteSection(p.GetValue(pOutput)!, t == 0 ? "platform" : $"platform-threads{t}", report);
            stdout.WriteLine($"wrote {p.GetValue(pOutput)}");
            return 0;
        });
        var sBlob = new Option<string?>("--blob")
        {
            Description = "Azure Storage connection string of the blob store to measure (default: $RTFM_BLOB; Azurite: source infra/test/azurite.sh && rtfm_azurite_start)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("RTFM_BLOB") is { Length: > 0 } b ? b : null,
        };
        var sSizes = new Option<string>("--worlds") { Description = "world sizes (frames) to resume, comma-separated", DefaultValueFactory = _ => "100,1000,10000" };
        var sOutput = new Option<string>("--write") { Description = "markdown report to write", DefaultValueFactory = _ => Path.Combine("docs", "benchmarks.md") };
        var storage = new Command("storage", "checkpoint MiB/s (blob vs file store) and time to first frame after resuming worlds of 100/1000/10000 frames; writes docs/benchmarks.md") { sBlob, sSizes, sOutput };
        storage.SetAction(p =>
        {
            string blob = p.GetValue(sBlob) ?? throw new UsageException("no blob store: pass --blob CONNECTION or set RTFM_BLOB (Azurite: `source infra/test/azurite.sh && rtfm_azurite_start`, then --blob \"$RTFM_TEST_BLOB_CONNECTION\")");
            int[] sizes = PositiveList("--worlds", p.GetValue(sSizes)!, "frame counts", "sizes", 100_000);
            var report = StorageBenchmark.RunAsync(blob, sizes, stdout, stderr).GetAwaiter().GetResult();
            BenchmarkReport.WriteSection(p.GetValue(sOutput)!, "storage", report);
            stdout.WriteLine($"wrote {p.GetValue(sOutput)}");
            return 0;
        });
        var gDevice = new Option<int>("--device") { Description = "GPU ordinal", DefaultValueFactory = _ => 0 }
            .Check(v => v >= 0 ? null : $"--device must be >= 0, got {v}");
        var gEmulate = new Option<string?>("--emulate") { Description = "run on the CPU emulator of the kernels in this folder (the repository's kernels/, needs g++) instead of a GPU: checks the command, its times mean nothing" };
        var gRepeats = CommonOptions.PositiveInt("--repeats", "launches per op timing", 200, 100_000);
        var gFrames = new Option<int>("--frames") { Description = "frames for the per-frame time (0: skip it)", DefaultValueFactory = _ => 50 }
            .Check(v => v is >= 0 and <= 100_000 ? null : $"--frames must be between 0 and 100000, got {v}");
        var gpu = new Command("gpu", "CUDA device: every op against the reference, per-op and per-frame times; exit 1 with \"no CUDA device\" when none opens") { gDevice, gEmulate, gRepeats, gFrames };
        gpu.SetAction(p => GpuBenchmark.Run(p.GetValue(gDevice), p.GetValue(gEmulate), p.GetValue(gRepeats), p.GetValue(gFrames), stdout, stderr));
        return new Command("bench", "benchmarks (print tables, write docs/benchmarks.md)") { engine, platform, storage, gpu };
    }

    /// <summary>A comma-separated list of whole numbers in [1, <paramref name="max"/>], or a usage error naming the option.</summary>
    private static int[] PositiveList(string option, string value, string what, string items, int max)
    {
        int[] list;
        try { list = value.Split(',').Select(x => int.Parse(x.Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToArray(); }
        catch (FormatException) { throw new UsageException($"{option} '{value}' must be comma-separated {what}"); }
        if (list.Any(x => x < 1 || x > max)) throw new UsageException($"{option} {items} must be between 1 and {max}");
        return list;
    }
}
