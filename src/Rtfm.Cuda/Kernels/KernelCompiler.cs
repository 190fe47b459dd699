// Compiles one kernels/*.cu file with the project's NVRTC options.
using Rtfm.Cuda.Nvrtc;

namespace Rtfm.Cuda.Kernels;

public static class KernelCompiler
{
    /// <summary>
    /// The options every kernel is compiled with for <paramref name="architecture"/> (e.g.
    /// sm_80). <paramref name="verbose"/> adds the ptxas resource report to the log.
    /// </summary>
    public static IReadOnlyList<string> Options(string kernelDirectory, string architecture, bool verbose)
    {
        var options = new List<string>
        {
            $"--gpu-architecture={architecture}",
            "--std=c++17",
            $"--include-path={kernelDirectory}",
        };
        if (verbose) options.Add("--ptxas-options=-v");
        return options;
    }

    /// <summary>Compiles <paramref name="fileName"/> from <paramref name="kernelDirectory"/>, with <paramref name="extraSource"/> appended.</summary>
    public static NvrtcOutput Compile(string kernelDirectory, string fileName, string architecture, bool verbose = false, string extraSource = "")
    {
        string source = File.ReadAllText(Path.Combine(kernelDirectory, fileName)) + extraSource;
        return NvrtcCompiler.Compile(source, fileName, Options(kernelDirectory, architecture, verbose));
    }
}
