// NVRTC entry points (nvrtc.h), one to one. Strings are passed as UTF-8; option and header
// arrays are built by the caller (NvrtcCompiler) as arrays of UTF-8 pointers.
using System.Runtime.InteropServices;

namespace Rtfm.Cuda.Interop;

internal static unsafe partial class NvrtcNative
{
    static NvrtcNative() => CudaLibraries.EnsureResolver();

    [LibraryImport(CudaLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcVersion(out int major, out int minor);

    [LibraryImport(CudaLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcGetNumSupportedArchs(out int count);

    [LibraryImport(CudaLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcGetSupportedArchs(int* archs);

    [LibraryImport(CudaLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcCreateProgram(out nint program, byte* source, byte* name, int headerCount, byte** headers, byte** includeNames);

    [LibraryImport(CudaLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcDestroyProgram(ref nint program);

    [LibraryImport(CudaLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcCompileProgram(nint program, int optionCount, byte** options);

    [LibraryImport(CudaLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcGetPTXSize(nint program, out nuint size);

    [LibraryImport(CudaLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcGetPTX(nint program, byte* ptx);

    [LibraryImport(CudaLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcGetCUBINSize(nint program, out nuint size);

    [LibraryImport(CudaLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcGetCUBIN(nint program, byte* cubin);

    [LibraryImport(CudaLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcGetProgramLogSize(nint program, out nuint size);

    [LibraryImport(CudaLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcGetProgramLog(nint program, byte* log);

    [LibraryImport(CudaLibraries.Nvrtc)]
    internal static partial byte* nvrtcGetErrorString(NvrtcResult result);

    /// <summary>NVRTC's own text for a result, or the enum name when NVRTC is not loadable.</summary>
    internal static string Describe(NvrtcResult result)
    {
        try
        {
            return Marshal.PtrToStringUTF8((nint)nvrtcGetErrorString(result)) ?? ResultNames.Symbolic(result);
        }
        catch (DllNotFoundException)
        {
            return ResultNames.Symbolic(result);
        }
    }
}
