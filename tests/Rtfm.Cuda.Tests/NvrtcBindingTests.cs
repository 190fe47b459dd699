// NVRTC through our binding: version, real CUBIN/PTX compiles for Ampere and Hopper, and
// failures that carry NVRTC's own log and the failing expression.
using Rtfm.Cuda.Interop;
using Rtfm.Cuda.Nvrtc;

namespace Rtfm.Cuda.Tests;

public sealed class NvrtcBindingTests
{
    private const string Saxpy = """
        extern "C" __global__ void saxpy(float a, const float* x, float* y, int n)
        {
            int i = blockIdx.x * blockDim.x + threadIdx.x;
            if (i < n) y[i] = a * x[i] + y[i];
        }
        """;

    public NvrtcBindingTests() => RepositoryPaths.UseNvrtc();

    [Fact]
    public void Version_is_11_8_or_newer_and_targets_ampere_and_hopper()
    {
        var (major, minor) = NvrtcCompiler.Version();
        Assert.True(major > 11 || (major == 11 && minor >= 8), $"NVRTC {major}.{minor} is older than 11.8");
        int[] archs = NvrtcCompiler.SupportedArchitectures();
        Assert.Contains(80, archs);
        Assert.Contains(90, archs);
    }

    [Theory]
    [InlineData("sm_80")]
    [InlineData("sm_90")]
    public void Compiles_a_kernel_to_cubin_and_ptx(string arch)
    {
        var output = NvrtcCompiler.Compile(Saxpy, "saxpy.cu", [$"--gpu-architecture={arch}"]);
        Assert.True(output.Cubin.Length > 64, $"CUBIN for {arch} has {output.Cubin.Length} bytes");
        Assert.Equal(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' }, output.Cubin[..4]);
        Assert.Contains($".target {arch}", output.Ptx, StringComparison.Ordinal);
        Assert.Contains(".entry saxpy(", output.Ptx, StringComparison.Ordinal);
    }

    [Fact]
    public void A_virtual_architecture_gives_ptx_only()
    {
        var output = NvrtcCompiler.Compile(Saxpy, "saxpy.cu", ["--gpu-architecture=compute_80"]);
        Assert.Empty(output.Cubin);
        Assert.Contains(".target sm_80", output.Ptx, StringComparison.Ordinal);
    }

    [Fact]
    public void The_ptxas_report_is_in_the_log()
    {
        var output = NvrtcCompiler.Compile(Saxpy, "saxpy.cu", ["--gpu-architecture=sm_80", "--ptxas-options=-v"]);
        Assert.Contains("Compiling entry function 'saxpy' for 'sm_80'", output.Log, StringComparison.Ordinal);
        Assert.Contains("registers", output.Log, StringComparison.Ordinal);
    }

    [Fact]
    public void A_compile_error_throws_with_the_log()
    {
        const string broken = """
            extern "C" __global__ void broken(float* y) { y[0] = undefined_name; }
            """;
        var e = Assert.Throws<CudaException>(() => NvrtcCompiler.Compile(broken, "broken.cu", ["--gpu-architecture=sm_80"]));
        Assert.Equal("NVRTC_ERROR_COMPILATION", e.ErrorName);
        Assert.Equal((int)NvrtcResult.Compilation, e.Code);
        Assert.Contains("broken.cu", e.Message, StringComparison.Ordinal);
        Assert.Contains("identifier \"undefined_name\" is undefined", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_option_names_the_option()
    {
        var e = Assert.Throws<CudaException>(() => NvrtcCompiler.Compile(Saxpy, "saxpy.cu", ["--no-such-option"]));
        Assert.Equal("NVRTC_ERROR_INVALID_OPTION", e.ErrorName);
        Assert.Contains("--no-such-option", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThrowIfFailed_reports_the_expression_and_nvrtc_text()
    {
        var e = Assert.Throws<CudaException>(() => CudaCheck.ThrowIfFailed(NvrtcNative.nvrtcGetPTXSize(0, out _)));
        Assert.Equal("NvrtcNative.nvrtcGetPTXSize(0, out _)", e.Expression);
        Assert.Equal("NVRTC_ERROR_INVALID_PROGRAM", e.ErrorName);
        Assert.StartsWith("NvrtcNative.nvrtcGetPTXSize(0, out _) failed: NVRTC_ERROR_INVALID_PROGRAM", e.Message, StringComparison.Ordinal);
    }
}
