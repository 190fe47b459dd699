// Compiles CUDA C++ source to CUBIN and PTX at run time through NVRTC. A failed compile throws
// a CudaException whose message carries NVRTC's log (the compiler's error lines).
using System.Runtime.InteropServices;
using System.Text;
using Rtfm.Cuda.Interop;
using static Rtfm.Cuda.CudaCheck;
using static Rtfm.Cuda.Interop.NvrtcNative;

namespace Rtfm.Cuda.Nvrtc;

/// <summary>The outputs of one NVRTC compile.</summary>
/// <param name="Cubin">The device binary; empty when compiled for a virtual architecture (compute_XX).</param>
/// <param name="Ptx">The PTX text.</param>
/// <param name="Log">NVRTC's log: warnings, and the ptxas report when compiled with --ptxas-options=-v.</param>
public sealed record NvrtcOutput(byte[] Cubin, string Ptx, string Log);

public static unsafe class NvrtcCompiler
{
    /// <summary>The NVRTC version, e.g. (11, 8).</summary>
    public static (int Major, int Minor) Version()
    {
        EnsureLoadable();
        ThrowIfFailed(nvrtcVersion(out int major, out int minor));
        return (major, minor);
    }

    /// <summary>The real architectures NVRTC can emit CUBIN for, e.g. 35, 37, ..., 90.</summary>
    public static int[] SupportedArchitectures()
    {
        EnsureLoadable();
        ThrowIfFailed(nvrtcGetNumSupportedArchs(out int count));
        var archs = new int[count];
        fixed (int* p = archs) ThrowIfFailed(nvrtcGetSupportedArchs(p));
        return archs;
    }

    /// <summary>
    /// Compiles <paramref name="source"/> (named <paramref name="name"/> in diagnostics) with
    /// NVRTC <paramref name="options"/> such as <c>--gpu-architecture=sm_80</c>.
    /// </summary>
    /// <exception cref="CudaException">The compile failed; the message ends with NVRTC's log.</exception>
    public static NvrtcOutput Compile(string source, string name, IReadOnlyList<string> options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        EnsureLoadable();
        using var program = NvrtcProgram.Create(source, name);
        var utf8 = new nint[options.Count];
        try
        {
            for (int i = 0; i < options.Count; i++) utf8[i] = Marshal.StringToCoTaskMemUTF8(options[i]);
            NvrtcResult compiled;
            fixed (nint* p = utf8) compiled = nvrtcCompileProgram(program.Handle, options.Count, (byte**)p);
            string log = ReadLog(program.Handle);
            if (compiled != NvrtcResult.Success)
            {
                string text = Describe(compiled);
                throw new CudaException(
                    $"nvrtcCompileProgram({name}, {string.Join(' ', options)}) failed: {text}\n{log.TrimEnd()}",
                    "nvrtcCompileProgram", text, (int)compiled);
            }
            return new NvrtcOutput(ReadCubin(program.Handle), ReadPtx(program.Handle), log);
        }
        finally
        {
            foreach (nint p in utf8) Marshal.FreeCoTaskMem(p);
        }
    }

    private static string ReadLog(nint program)
    {
        ThrowIfFailed(nvrtcGetProgramLogSize(program, out nuint size));
        if (size <= 1) return "";
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes) ThrowIfFailed(nvrtcGetProgramLog(program, p));
        return Encoding.UTF8.GetString(bytes, 0, bytes.Length - 1);
    }

    private static string ReadPtx(nint program)
    {
        ThrowIfFailed(nvrtcGetPTXSize(program, out nuint size));
        if (size <= 1) return "";
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes) ThrowIfFailed(nvrtcGetPTX(program, p));
        return Encoding.UTF8.GetString(bytes, 0, bytes.Length - 1);
    }

    private static byte[] ReadCubin(nint program)
    {
        // A virtual-architecture compile has no CUBIN; NVRTC reports size 0 (or an error on
        // older releases), which both mean "PTX only".
        if (nvrtcGetCUBINSize(program, out nuint size) != NvrtcResult.Success || size == 0) return [];
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes) ThrowIfFailed(nvrtcGetCUBIN(program, p));
        return bytes;
    }

    // Turns the loader's generic DllNotFoundException into a CudaException that says where
    // NVRTC was looked for and how to get it.
    private static void EnsureLoadable()
    {
        if (CudaLibraries.NvrtcHandle() == 0)
            throw new CudaException(CudaLibraries.NvrtcFailure ?? "NVRTC could not be loaded", "load NVRTC", "library not found", -1);
    }

    /// <summary>Owns an nvrtcProgram; destroys it exactly once.</summary>
    private sealed class NvrtcProgram : SafeHandle
    {
        private NvrtcProgram() : base(0, ownsHandle: true)
        {
        }

        public nint Handle => handle;

        public override bool IsInvalid => handle == 0;

        public static NvrtcProgram Create(string source, string name)
        {
            var program = new NvrtcProgram();
            nint src = Marshal.StringToCoTaskMemUTF8(source), nm = Marshal.StringToCoTaskMemUTF8(name);
            try
            {
                ThrowIfFailed(nvrtcCreateProgram(out nint created, (byte*)src, (byte*)nm, 0, null, null));
                program.SetHandle(created);
                return program;
            }
            finally
            {
                Marshal.FreeCoTaskMem(src);
                Marshal.FreeCoTaskMem(nm);
            }
        }

        protected override bool ReleaseHandle()
        {
            nint h = handle;
            return nvrtcDestroyProgram(ref h) == NvrtcResult.Success;
        }
    }
}
