// The CPU emulator of kernels/*.cu: builds the kernels with g++ against kernels/emu/cuda_emu.h
// into one native library (cached by a hash of every source it reads) and launches them with
// the same params structs the GPU takes. Device pointers are host addresses here: the caller
// passes pinned host memory. See docs/cuda.md for what the emulation covers. The library stays
// loaded for the life of the process: unloading native code gains nothing here.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Rtfm.Cuda.Kernels;

namespace Rtfm.Cuda.Emulation;

/// <summary>The order in which the emulator resumes a block's runnable threads.</summary>
public enum FiberOrder
{
    /// <summary>Thread 0 first.</summary>
    Forward,

    /// <summary>The last thread first: exposes races that the forward order hides.</summary>
    Reverse,
}

public sealed unsafe class KernelEmulator
{
    /// <summary>g++ flags: strict aliasing off (fragment loads reinterpret shared memory), no FMA contraction (the _rn intrinsics).</summary>
    public static readonly IReadOnlyList<string> CompilerFlags =
        ["-O2", "-std=c++17", "-fPIC", "-fno-strict-aliasing", "-ffp-contract=off", "-fvisibility=hidden", "-pthread", "-DRTFM_EMULATOR"];

    private const string EntryPrefix = "rtfm_emu_entry_";
    private readonly nint _library;
    private readonly delegate* unmanaged<nint, void*, uint, uint, uint, uint, uint, uint, uint, int, int, byte*, int, int> _launch;
    private readonly Dictionary<string, nint> _entries = new(StringComparer.Ordinal);

    private KernelEmulator(string libraryPath)
    {
        LibraryPath = libraryPath;
        _library = NativeLibrary.Load(libraryPath);
        _launch = (delegate* unmanaged<nint, void*, uint, uint, uint, uint, uint, uint, uint, int, int, byte*, int, int>)NativeLibrary.GetExport(_library, "rtfm_emu_launch");
        foreach (var entry in EmulatedFiles.SelectMany(f => f.Entries))
            _entries[entry.Name] = NativeLibrary.GetExport(_library, EntryPrefix + entry.Name);
    }

    private static IEnumerable<KernelFile> EmulatedFiles => KernelCatalog.Files.Append(KernelCatalog.EmulatorSelfTests);

    /// <summary>The native library the kernels were built into.</summary>
    public string LibraryPath { get; }

    /// <summary>Worker threads that run blocks in parallel (a block's threads are fibers on one of them).</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Builds (or reuses from <paramref name="cacheDirectory"/>) the emulated kernels of
    /// <paramref name="kernelDirectory"/> and loads them.
    /// </summary>
    public static KernelEmulator Load(string kernelDirectory, string cacheDirectory)
    {
        var sources = EmulatedSources(kernelDirectory);
        string hash = Hash(kernelDirectory, sources);
        string dir = Path.Combine(cacheDirectory, hash);
        string library = Path.Combine(dir, "librtfm_kernels_emu.so");
        if (!File.Exists(library))
        {
            Build(kernelDirectory, dir, library);
            PruneOldBuilds(cacheDirectory, keep: 4);
        }
        return new KernelEmulator(library);
    }

    // Every kernel edit makes a new build; keep the cache from growing without bound. A build
    // still loaded elsewhere survives deletion (the mapping stays valid on Linux).
    private static void PruneOldBuilds(string cacheDirectory, int keep)
    {
        var old = new DirectoryInfo(cacheDirectory).GetDirectories()
            .Where(d => !d.Name.Contains(".build-", StringComparison.Ordinal))
            .OrderByDescending(d => d.LastWriteTimeUtc)
            .Skip(keep);
        foreach (var d in old)
        {
            try
            {
                d.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Another test run is using or replacing it: leave it for the next prune.
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="kernel"/> over the whole grid and returns when it is done (the
    /// emulator has no streams). A collective that cannot complete fails the launch.
    /// <paramref name="order"/> picks the order a block's runnable threads are resumed in;
    /// a race-free kernel gives the same bits in both.
    /// </summary>
    public void Launch<TParams>(string kernel, Dim3 grid, Dim3 block, uint dynamicSharedBytes, in TParams parameters, FiberOrder order = FiberOrder.Forward)
        where TParams : unmanaged
    {
        if (!_entries.TryGetValue(kernel, out nint entry)) throw new ArgumentException($"no emulated kernel named {kernel}", nameof(kernel));
        TParams copy = parameters;
        var error = new byte[512];
        int status;
        fixed (byte* e = error)
            status = _launch(entry, &copy, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, dynamicSharedBytes, Workers, order == FiberOrder.Reverse ? 1 : 0, e, error.Length);
        if (status != 0)
        {
            string text = Encoding.UTF8.GetString(error, 0, Math.Max(0, Array.IndexOf(error, (byte)0)));
            throw new CudaException($"emulated launch of {kernel} failed: {text}", $"launch {kernel}", "CUDA_ERROR_LAUNCH_FAILED", (int)CudaResult.LaunchFailed);
        }
    }

    // Every file the build reads: the kernels, their header and the emulator.
    private static List<string> EmulatedSources(string kernelDirectory)
    {
        var files = new List<string> { KernelCatalog.CommonHeader, Path.Combine("emu", "cuda_emu.h"), Path.Combine("emu", "emu_runtime.cpp") };
        files.AddRange(EmulatedFiles.Select(f => f.FileName));
        foreach (string f in files)
        {
            if (!File.Exists(Path.Combine(kernelDirectory, f)))
                throw new FileNotFoundException($"kernel emulator source {f} is missing from {kernelDirectory}", f);
        }
        return files;
    }

    private static string Hash(string kernelDirectory, List<string> sources)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(string.Join(' ', CompilerFlags) + "\n"));
        foreach (string f in sources)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(f + "\n"));
            sha.AppendData(File.ReadAllBytes(Path.Combine(kernelDirectory, f)));
        }
        foreach (var entry in EmulatedFiles.SelectMany(f => f.Entries))
            sha.AppendData(Encoding.UTF8.GetBytes($"{entry.Name}:{entry.Params.Name}\n"));
        return Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant();
    }

    private static void Build(string kernelDirectory, string dir, string library)
    {
        string work = dir + ".build-" + Environment.ProcessId;
        Directory.CreateDirectory(work);
        try
        {
            var objects = new List<string>();
            var jobs = new List<(string Source, string Object)>();
            foreach (var file in EmulatedFiles)
            {
                // One translation unit per kernel file (their macros never meet), plus an
                // exported wrapper per kernel that unpacks the params struct.
                var sb = new StringBuilder($"#include \"{file.FileName}\"\n");
                foreach (var e in file.Entries)
                    sb.Append($"extern \"C\" __attribute__((visibility(\"default\"))) void {EntryPrefix}{e.Name}(const void* p) {{ {e.Name}(*static_cast<const {e.Params.Name}*>(p)); }}\n");
                string source = Path.Combine(work, Path.GetFileNameWithoutExtension(file.FileName) + ".emu.cpp");
                File.WriteAllText(source, sb.ToString());
                jobs.Add((source, Path.ChangeExtension(source, ".o")));
            }
            jobs.Add((Path.Combine(kernelDirectory, "emu", "emu_runtime.cpp"), Path.Combine(work, "emu_runtime.o")));
            Parallel.ForEach(jobs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, job =>
                RunCompiler([.. CompilerFlags, $"-I{kernelDirectory}", "-c", job.Source, "-o", job.Object]));
            objects.AddRange(jobs.Select(j => j.Object));
            string linked = Path.Combine(work, "librtfm_kernels_emu.so");
            RunCompiler(["-shared", "-pthread", "-o", linked, .. objects]);
            Directory.CreateDirectory(dir);
            File.Move(linked, library, overwrite: true);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static void RunCompiler(IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo("g++") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in arguments) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("g++ did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("the kernel emulator needs g++ (Debian: apt-get install g++)", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"g++ {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{stdout}{stderr.Result}");
        }
    }
}
