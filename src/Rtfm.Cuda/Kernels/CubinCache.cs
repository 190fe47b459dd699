// Compiled kernels on disk, keyed by what determines the CUBIN: the kernel file's source and
// every shared header, the target architecture, the compile options, and the NVRTC version.
// A silo start then compiles only what changed (NVRTC takes 90–230 ms a kernel file).
using System.Security.Cryptography;
using System.Text;
using Rtfm.Cuda.Nvrtc;

namespace Rtfm.Cuda.Kernels;

public sealed class CubinCache
{
    public CubinCache(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
    }

    public string Directory { get; }

    /// <summary>Compiles that found their CUBIN in the cache / that ran NVRTC, since creation.</summary>
    public int Hits { get; private set; }

    public int Misses { get; private set; }

    /// <summary>The CUBIN of <paramref name="fileName"/> for <paramref name="architecture"/>, from the cache or compiled (and then stored).</summary>
    public byte[] GetOrCompile(string kernelDirectory, string fileName, string architecture)
    {
        string path = PathFor(kernelDirectory, fileName, architecture);
        if (File.Exists(path))
        {
            Hits++;
            return File.ReadAllBytes(path);
        }
        var compiled = KernelCompiler.Compile(kernelDirectory, fileName, architecture);
        System.IO.Directory.CreateDirectory(Directory);
        // Write then rename: a concurrent start or a crash never leaves a torn CUBIN under the key.
        string temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temp, compiled.Cubin);
        File.Move(temp, path, overwrite: true);
        Misses++;
        return compiled.Cubin;
    }

    /// <summary>Where the CUBIN for these inputs lives: name-arch-key.cubin, key = SHA-256 over every input.</summary>
    public string PathFor(string kernelDirectory, string fileName, string architecture)
    {
        var (major, minor) = NvrtcCompiler.Version();
        var key = new StringBuilder();
        key.Append("rtfm-cubin-v1\n").Append(architecture).Append('\n').Append(major).Append('.').Append(minor).Append('\n');
        // The include path names a folder of this machine; the headers' contents stand for it.
        foreach (string option in KernelCompiler.Options(kernelDirectory, architecture, verbose: false))
            if (!option.StartsWith("--include-path=", StringComparison.Ordinal)) key.Append(option).Append('\n');
        key.Append(fileName).Append('\n').Append(File.ReadAllText(Path.Combine(kernelDirectory, fileName))).Append('\n');
        foreach (string header in System.IO.Directory.GetFiles(kernelDirectory, "*.cuh").OrderBy(h => h, StringComparer.Ordinal))
            key.Append(Path.GetFileName(header)).Append('\n').Append(File.ReadAllText(header)).Append('\n');
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())))[..20];
        return Path.Combine(Directory, $"{Path.GetFileNameWithoutExtension(fileName)}-{architecture}-{hash}.cubin");
    }
}
