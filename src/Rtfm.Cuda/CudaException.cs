// Every native call of the binding goes through one check: ThrowIfFailed(result) reports the
// failing expression (captured by the compiler), the result's name and the library's own text.
using System.Runtime.CompilerServices;
using Rtfm.Cuda.Interop;

namespace Rtfm.Cuda;

/// <summary>A CUDA driver or NVRTC call failed, or a CUDA library could not be loaded.</summary>
public sealed class CudaException : Exception
{
    public CudaException(string message, string expression, string errorName, int code, Exception? inner = null)
        : base(message, inner)
    {
        Expression = expression;
        ErrorName = errorName;
        Code = code;
    }

    /// <summary>The source text of the failing call, e.g. <c>cuInit(0)</c>.</summary>
    public string Expression { get; }

    /// <summary>The result's symbolic name, e.g. <c>CUDA_ERROR_NO_DEVICE</c>.</summary>
    public string ErrorName { get; }

    /// <summary>The numeric result (CUresult or nvrtcResult); -1 when the library itself could not be loaded.</summary>
    public int Code { get; }
}

/// <summary>The one result check of the binding.</summary>
public static class CudaCheck
{
    public static void ThrowIfFailed(CudaResult result, [CallerArgumentExpression(nameof(result))] string expression = "")
    {
        if (result == CudaResult.Success) return;
        string name = CudaDriverNative.DescribeName(result);
        string text = CudaDriverNative.DescribeString(result);
        throw new CudaException($"{expression} failed: {name} ({(int)result}): {text}", expression, name, (int)result);
    }

    public static void ThrowIfFailed(NvrtcResult result, [CallerArgumentExpression(nameof(result))] string expression = "")
    {
        if (result == NvrtcResult.Success) return;
        string text = NvrtcNative.Describe(result);
        throw new CudaException($"{expression} failed: {text} ({(int)result})", expression, text, (int)result);
    }
}
