// Locates the repository (for kernels/ and docs/) and the NVRTC unpack the tests compile with.
using Rtfm.Cuda.Interop;

namespace Rtfm.Cuda.Tests;

internal static class RepositoryPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    public static string Root => RootLazy.Value;

    public static string Kernels => Path.Combine(Root, "kernels");

    /// <summary>
    /// Points the binding at NVRTC: RTFM_NVRTC_DIR when test.sh exported it, else the repository's
    /// .cache/nvrtc unpack. Fails with how to fetch it when neither exists.
    /// </summary>
    public static void UseNvrtc()
    {
        if (CudaLibraries.NvrtcDirectory is { } set && Directory.Exists(set)) return;
        string local = Path.Combine(Root, ".cache", "nvrtc", "usr", "lib", "x86_64-linux-gnu");
        if (!Directory.Exists(local))
            throw new InvalidOperationException(
                $"NVRTC is not available: {CudaLibraries.NvrtcDirectoryVariable} is unset and {local} does not exist. " +
                "Run ./test.sh, or infra/test/nvrtc.sh once, to fetch it.");
        CudaLibraries.NvrtcDirectory = local;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Rtfm.Platform.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no Rtfm.Platform.sln above {AppContext.BaseDirectory}");
    }
}
