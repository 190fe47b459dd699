// The emulator's own semantics: barriers and shuffles over a 3-D block, blocks in parallel,
// and the two kernel bugs it must report by name instead of hanging the test run.
using Rtfm.Cuda.Emulation;
using Rtfm.Cuda.Kernels;

namespace Rtfm.Cuda.Tests;

public sealed class EmulatorSelfTests
{
    private readonly KernelEmulator _emu = EmulatorFixture.Emulator;

    [Fact]
    public void Barriers_shared_memory_and_shuffles_agree_with_cuda_semantics_across_parallel_blocks()
    {
        const int threads = 4 * 8 * 3, blocks = 5 * 2;
        var outBuf = new EmuBuffer<float>(blocks * threads);
        _emu.Launch("emu_selftest_block_sum", new Dim3(5, 2), new Dim3(4, 8, 3), 0, new EmuSelfTestParams { Out = outBuf.Ptr });
        for (int b = 0; b < blocks; b++)
        {
            float sum = (float)threads * (threads + 1) / 2 * (b + 1);
            for (int t = 0; t < threads; t++)
                Assert.True(outBuf.Data[b * threads + t] == sum + 31e6f, $"block {b} thread {t}: got {outBuf.Data[b * threads + t]}, want {sum + 31e6f}");
        }
    }

    [Fact]
    public void A_shuffle_in_a_warp_with_exited_lanes_fails_the_launch_with_the_cause()
    {
        var outBuf = new EmuBuffer<float>(32);
        var e = Assert.Throws<CudaException>(() => _emu.Launch("emu_selftest_faults", new Dim3(1), new Dim3(32), 0,
            new EmuSelfTestParams { Out = outBuf.Ptr, Mode = EmuSelfTestParams.ModePartialWarpShuffle }));
        Assert.Contains("a lane exited while its warp waited in a warp collective", e.Message, StringComparison.Ordinal);
        Assert.Contains("emu_selftest_faults", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_warp_split_between_a_shuffle_and_a_barrier_is_reported_as_a_deadlock()
    {
        var outBuf = new EmuBuffer<float>(32);
        var e = Assert.Throws<CudaException>(() => _emu.Launch("emu_selftest_faults", new Dim3(1), new Dim3(32), 0,
            new EmuSelfTestParams { Out = outBuf.Ptr, Mode = EmuSelfTestParams.ModeShuffleAgainstBarrier }));
        Assert.Contains("deadlock", e.Message, StringComparison.Ordinal);
        Assert.Equal("CUDA_ERROR_LAUNCH_FAILED", e.ErrorName);
    }
}
