// rtfm bench gpu: without a device it says "no CUDA device" with the cause and exits 1; on the
// kernel emulator (standing in for a GPU) it runs every op against the reference and times the
// ops, which is what it does on a real device (frame timing skipped here: ~30 s emulated).
namespace Rtfm.Cli.Tests;

public sealed class GpuBenchTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Without_a_device_it_says_so_and_exits_1()
    {
        // Ordinal 999 exists nowhere, so this holds on a GPU machine too (here there is no driver at all).
        var (code, output, error) = Run("bench", "gpu", "--device", "999");
        Assert.Equal(1, code);
        Assert.StartsWith("no CUDA device: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("conformance", output, StringComparison.Ordinal);
    }

    [Fact]
    public void On_the_emulated_device_every_op_passes_and_times_are_printed()
    {
        string kernels = Path.Combine(RepositoryRoot(), "kernels");
        var (code, output, error) = Run("bench", "gpu", "--emulate", kernels, "--repeats", "2", "--frames", "0");
        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");
        Assert.Contains("emulated: times below say nothing about a GPU", output, StringComparison.Ordinal);
        Assert.Contains("conformance: every op matches the reference", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
        Assert.Equal(10, output.Split('\n').Count(l => l.TrimStart().StartsWith("pass ", StringComparison.Ordinal)));
        Assert.Equal(6, output.Split('\n').Count(l => l.TrimEnd().EndsWith(" µs", StringComparison.Ordinal)));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Rtfm.Platform.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Rtfm.Platform.sln above {AppContext.BaseDirectory}");
    }
}
