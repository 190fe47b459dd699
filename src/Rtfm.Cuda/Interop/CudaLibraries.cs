// Finds the two native libraries of the binding. The driver (libcuda.so.1) only ever comes from
// the system: it ships with the kernel driver. NVRTC comes from a folder named by RTFM_NVRTC_DIR
// (a local unpack such as the one infra/test/nvrtc.sh makes) or else from the system's CUDA
// install. The local unpack has no libnvrtc.so symlink and is not on the loader path, so
// libnvrtc-builtins is loaded by full path first: libnvrtc dlopens it by soname and then finds
// the copy already in the process.
using System.Reflection;
using System.Runtime.InteropServices;

namespace Rtfm.Cuda.Interop;

public static class CudaLibraries
{
    /// <summary>The environment variable naming a folder that holds libnvrtc.so.* and libnvrtc-builtins.so.*.</summary>
    public const string NvrtcDirectoryVariable = "RTFM_NVRTC_DIR";

    internal const string Driver = "cuda";
    internal const string Nvrtc = "nvrtc";

    private static readonly Lock Gate = new();
    private static bool _installed;
    private static string? _nvrtcDirectory = Environment.GetEnvironmentVariable(NvrtcDirectoryVariable);
    private static nint _driver;
    private static nint _nvrtc;
    private static string? _driverFailure;
    private static string? _nvrtcFailure;

    /// <summary>
    /// The folder NVRTC is loaded from; null means the system's libraries. Defaults to
    /// RTFM_NVRTC_DIR. Must be set before the first NVRTC call: a loaded library stays loaded.
    /// </summary>
    public static string? NvrtcDirectory
    {
        get => _nvrtcDirectory;
        set => _nvrtcDirectory = string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>Why the driver library could not be loaded, or null when it was not tried or loaded.</summary>
    public static string? DriverFailure => _driverFailure;

    /// <summary>Why NVRTC could not be loaded, or null when it was not tried or loaded.</summary>
    public static string? NvrtcFailure => _nvrtcFailure;

    internal static void EnsureResolver()
    {
        lock (Gate)
        {
            if (_installed) return;
            NativeLibrary.SetDllImportResolver(typeof(CudaLibraries).Assembly, Resolve);
            _installed = true;
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) => name switch
    {
        Driver => DriverHandle(),
        Nvrtc => NvrtcHandle(),
        _ => 0,
    };

    /// <summary>The loaded driver library, or 0 (with <see cref="DriverFailure"/> saying why).</summary>
    internal static nint DriverHandle()
    {
        lock (Gate)
        {
            if (_driver == 0 && _driverFailure is null) _driver = LoadDriver();
            return _driver;
        }
    }

    /// <summary>The loaded NVRTC library, or 0 (with <see cref="NvrtcFailure"/> saying why).</summary>
    internal static nint NvrtcHandle()
    {
        lock (Gate)
        {
            if (_nvrtc == 0 && _nvrtcFailure is null) _nvrtc = LoadNvrtc();
            return _nvrtc;
        }
    }

    private static nint LoadDriver()
    {
        string[] candidates = OperatingSystem.IsWindows() ? ["nvcuda.dll"] : ["libcuda.so.1", "libcuda.so"];
        foreach (string candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out nint handle)) return handle;
        }
        _driverFailure = $"the CUDA driver library ({string.Join(" or ", candidates)}) was not found: this machine has no NVIDIA driver installed";
        return 0;
    }

    private static nint LoadNvrtc()
    {
        string? dir = _nvrtcDirectory;
        if (dir is not null)
        {
            if (!Directory.Exists(dir))
            {
                _nvrtcFailure = $"{NvrtcDirectoryVariable}={dir} does not exist (run infra/test/nvrtc.sh to fetch NVRTC there)";
                return 0;
            }
            string? builtins = NewestFile(dir, OperatingSystem.IsWindows() ? "nvrtc-builtins64_*.dll" : "libnvrtc-builtins.so.*");
            string? nvrtc = NewestFile(dir, OperatingSystem.IsWindows() ? "nvrtc64_*.dll" : "libnvrtc.so*");
            if (builtins is null || nvrtc is null)
            {
                _nvrtcFailure = $"{NvrtcDirectoryVariable}={dir} lacks libnvrtc.so.* or libnvrtc-builtins.so.* (run infra/test/nvrtc.sh)";
                return 0;
            }
            try
            {
                NativeLibrary.Load(builtins);
                return NativeLibrary.Load(nvrtc);
            }
            catch (DllNotFoundException e)
            {
                _nvrtcFailure = $"NVRTC in {dir} could not be loaded: {e.Message}";
                return 0;
            }
        }
        string[] candidates = OperatingSystem.IsWindows()
            ? ["nvrtc64_120_0.dll", "nvrtc64_112_0.dll"]
            : ["libnvrtc.so", "libnvrtc.so.12", "libnvrtc.so.11.2"];
        foreach (string candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out nint handle)) return handle;
        }
        _nvrtcFailure = $"NVRTC ({string.Join(", ", candidates)}) was not found on the system and {NvrtcDirectoryVariable} is not set (run infra/test/nvrtc.sh and export the folder it prints)";
        return 0;
    }

    // The highest-versioned match by name; the "-builtins" files never match the libnvrtc pattern
    // because "libnvrtc.so*" requires the dot right after "libnvrtc".
    private static string? NewestFile(string dir, string pattern) =>
        Directory.EnumerateFiles(dir, pattern).OrderByDescending(p => p.Length).ThenByDescending(p => p, StringComparer.Ordinal).FirstOrDefault();
}
