// The on-disk CUBIN cache a GPU silo compiles through: a second start loads instead of
// compiling, and any input that changes the CUBIN (source, shared header, architecture)
// changes the key. Compiles with the real NVRTC, so it runs without a GPU.
using Rtfm.Cuda.Kernels;

namespace Rtfm.Cuda.Tests;

public sealed class CubinCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rtfm-cubin-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_second_compile_of_the_same_inputs_is_read_from_disk()
    {
        RepositoryPaths.UseNvrtc();
        var cache = new CubinCache(Path.Combine(_dir, "cache"));
        var first = cache.GetOrCompile(RepositoryPaths.Kernels, "gelu.cu", "sm_80");
        Assert.Equal((0, 1), (cache.Hits, cache.Misses));
        var again = new CubinCache(cache.Directory).GetOrCompile(RepositoryPaths.Kernels, "gelu.cu", "sm_80");
        Assert.Equal(first, again);
        Assert.Equal(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }, first.Take(4).ToArray());
        var files = Directory.GetFiles(cache.Directory);
        Assert.Single(files);
        Assert.Matches(@"gelu-sm_80-[0-9a-f]{20}\.cubin$", files[0]);
    }

    [Fact]
    public void The_key_changes_with_the_architecture_the_source_and_the_shared_header()
    {
        RepositoryPaths.UseNvrtc();
        string kernels = Path.Combine(_dir, "kernels");
        Directory.CreateDirectory(kernels);
        foreach (var f in Directory.GetFiles(RepositoryPaths.Kernels)) File.Copy(f, Path.Combine(kernels, Path.GetFileName(f)));
        var cache = new CubinCache(Path.Combine(_dir, "cache"));
        string baseKey = cache.PathFor(kernels, "gelu.cu", "sm_80");
        Assert.Equal(baseKey, cache.PathFor(RepositoryPaths.Kernels, "gelu.cu", "sm_80")); // same contents elsewhere: same key
        Assert.NotEqual(baseKey, cache.PathFor(kernels, "gelu.cu", "sm_90"));
        File.AppendAllText(Path.Combine(kernels, "gelu.cu"), "\n// edited\n");
        string editedSource = cache.PathFor(kernels, "gelu.cu", "sm_80");
        Assert.NotEqual(baseKey, editedSource);
        File.AppendAllText(Path.Combine(kernels, KernelCatalog.CommonHeader), "\n// edited\n");
        Assert.NotEqual(editedSource, cache.PathFor(kernels, "gelu.cu", "sm_80"));
    }

    [Fact]
    public void The_kernel_sources_ship_beside_the_binaries()
    {
        foreach (var file in KernelCatalog.Files)
        {
            string shipped = Path.Combine(KernelCatalog.ShippedDirectory, file.FileName);
            Assert.True(File.Exists(shipped), $"{file.FileName} is not in {KernelCatalog.ShippedDirectory}: the Rtfm.Cuda build must copy kernels/ to the output");
            Assert.Equal(File.ReadAllText(Path.Combine(RepositoryPaths.Kernels, file.FileName)), File.ReadAllText(shipped));
        }
        Assert.True(File.Exists(Path.Combine(KernelCatalog.ShippedDirectory, KernelCatalog.CommonHeader)));
    }
}
