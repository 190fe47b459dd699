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

public sealed class EmulatorRaceTests
{
    private readonly KernelEmulator _emu = EmulatorFixture.Emulator;

    [Fact]
    public void A_missing_barrier_gives_different_results_in_forward_and_reverse_thread_order()
    {
        float[] Run(FiberOrder order)
        {
            var outBuf = new EmuBuffer<float>(64);
            _emu.Launch("emu_selftest_race", new Dim3(1), new Dim3(64), 0, new EmuSelfTestParams { Out = outBuf.Ptr }, order);
            return outBuf.Data;
        }
        float[] forward = Run(FiberOrder.Forward), reverse = Run(FiberOrder.Reverse);
        Assert.Equal(0f, forward[10]);  // read before the neighbour wrote
        Assert.Equal(12f, reverse[10]); // read after
        Assert.NotEqual(forward, reverse);
    }

    /// <summary>Every kernel of the catalog, on one input each, run in both thread orders: a race-free kernel gives the same bits.</summary>
    [Theory]
    [InlineData("gemm_bf16_tc")]
    [InlineData("gemm_f32")]
    [InlineData("attention_online_softmax")]
    [InlineData("layernorm_modulate")]
    [InlineData("gated_residual")]
    [InlineData("gelu")]
    [InlineData("plucker_rays")]
    [InlineData("patchify_with_rays")]
    [InlineData("unpatchify")]
    [InlineData("sampler_step")]
    [InlineData("unpatchify_sampler_step")]
    public unsafe void Kernel_results_do_not_depend_on_thread_order(string kernel)
    {
        float[] Run(FiberOrder order)
        {
            const int m = 70, k = 130, n = 72;
            var a = new EmuBuffer<float>(TensorAssert.Random(m * k, 1));
            var b = new EmuBuffer<float>(TensorAssert.Random(k * n, 2));
            var c = new EmuBuffer<float>(TensorAssert.Random(m * k, 3));
            var bias = new EmuBuffer<float>(TensorAssert.Random(n, 4));
            var wt = new EmuBuffer<ushort>(Bf16.PackTransposed(TensorAssert.Random(k * n, 2), k, n));
            var y = new EmuBuffer<float>(m * n);
            switch (kernel)
            {
                case "gemm_bf16_tc" or "gemm_f32":
                    var g = new GemmParams { X = a.Ptr, Weight = kernel == "gemm_f32" ? b.Ptr : wt.Ptr, Bias = bias.Ptr, Y = y.Ptr, M = m, N = n, K = k };
                    _emu.Launch(kernel, new Dim3(2, 2), new Dim3(kernel == "gemm_f32" ? 256u : 128u), 0, g, order);
                    return y.Data;
                case "attention_online_softmax":
                    var p = new AttentionParams { Q = a.Ptr, SelfK = b.Ptr, SelfV = c.Ptr, Out = y.Ptr, ContextBlocks = 1, Tq = 33, D = 64, Heads = 2, Scale = 0.17f };
                    p.ContextK[0] = c.Ptr.Address;
                    p.ContextV[0] = a.Ptr.Address;
                    p.ContextRows[0] = 50;
                    _emu.Launch(kernel, new Dim3(5, 2), new Dim3(256), 0, p, order);
                    return y.Data;
                case "layernorm_modulate":
                    _emu.Launch(kernel, new Dim3(3), new Dim3(128), 0, new LayerNormParams { X = a.Ptr, Shift = b.Ptr, Scale = c.Ptr, Y = y.Ptr, Rows = 10, Cols = 300, Eps = 1e-6f }, order);
                    return y.Data;
                case "gated_residual":
                    _emu.Launch(kernel, new Dim3(4), new Dim3(256), 0, new GatedResidualParams { X = a.Ptr, Gate = b.Ptr, Y = c.Ptr, Rows = 70, Cols = 130 }, order);
                    return a.Data;
                case "gelu":
                    _emu.Launch(kernel, new Dim3(4), new Dim3(256), 0, new GeluParams { X = a.Ptr, Y = y.Ptr, N = m * n }, order);
                    return y.Data;
                case "plucker_rays":
                    var pose = Rtfm.Core.Geometry.Pose.LookAt(new(0.3f, 1.2f, -2f), new(1f, 0.8f, 3f));
                    var rays = new EmuBuffer<float>(16 * 24 * 6);
                    _emu.Launch(kernel, new Dim3(2), new Dim3(128), 0, PluckerParams.Create(rays.Ptr, pose, Rtfm.Core.Geometry.Intrinsics.FromFieldOfView(24, 16, 70)), order);
                    return rays.Data;
                case "patchify_with_rays":
                    var tokens = new EmuBuffer<float>(24 * 144);
                    _emu.Launch(kernel, new Dim3(3), new Dim3(256), 0, new PatchifyParams { Image = a.Ptr, Rays = c.Ptr, Tokens = tokens.Ptr, Height = 16, Width = 24, Patch = 4 }, order);
                    return tokens.Data;
                case "unpatchify" or "unpatchify_sampler_step":
                    _emu.Launch(kernel, new Dim3(2), new Dim3(256), 0, new UnpatchifyParams { Patches = a.Ptr, Image = c.Ptr, Height = 16, Width = 24, Patch = 4, Step = 0.3f }, order);
                    return c.Data;
                case "sampler_step":
                    _emu.Launch(kernel, new Dim3(4), new Dim3(256), 0, new SamplerStepParams { X = a.Ptr, XPred = c.Ptr, N = m * k, Step = 0.3f }, order);
                    return a.Data;
                default:
                    throw new ArgumentException($"no case for {kernel}", nameof(kernel));
            }
        }
        var forward = Run(FiberOrder.Forward);
        TensorAssert.BitIdentical(forward, Run(FiberOrder.Reverse), $"{kernel}: forward vs reverse thread order");
        Assert.True(TensorAssert.Rms(forward) > 0, $"{kernel} wrote nothing");
    }

    [Fact]
    public void The_order_test_covers_every_kernel_of_the_catalog()
    {
        var covered = typeof(EmulatorRaceTests).GetMethod(nameof(Kernel_results_do_not_depend_on_thread_order))!
            .GetCustomAttributes(typeof(InlineDataAttribute), false).Cast<InlineDataAttribute>()
            .Select(a => (string)a.GetData(null!).First()[0]).Order(StringComparer.Ordinal);
        var catalog = KernelCatalog.Files.SelectMany(f => f.Entries).Select(e => e.Name).Order(StringComparer.Ordinal);
        Assert.Equal(catalog, covered);
    }
}
