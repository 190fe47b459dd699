// The C names of result codes (CUDA_ERROR_NO_DEVICE, NVRTC_ERROR_COMPILATION), for messages
// written when the native library that would name them is not available.
using System.Text;

namespace Rtfm.Cuda.Interop;

internal static class ResultNames
{
    internal static string Symbolic(CudaResult result) => result == CudaResult.Success
        ? "CUDA_SUCCESS"
        : Enum.IsDefined(result) ? "CUDA_ERROR_" + Snake(result.ToString()) : $"CUDA_ERROR_{(int)result}";

    internal static string Symbolic(NvrtcResult result) => result == NvrtcResult.Success
        ? "NVRTC_SUCCESS"
        : Enum.IsDefined(result) ? "NVRTC_ERROR_" + Snake(result.ToString()) : $"NVRTC_ERROR_{(int)result}";

    private static string Snake(string pascal)
    {
        var sb = new StringBuilder(pascal.Length + 8);
        for (int i = 0; i < pascal.Length; i++)
        {
            if (i > 0 && char.IsUpper(pascal[i])) sb.Append('_');
            sb.Append(char.ToUpperInvariant(pascal[i]));
        }
        return sb.ToString();
    }
}
