// The session capacity of a GPU silo (docs/cuda.md, "Capacity"): the formula's terms are the
// bytes the render pool really allocates on the emulated device, and the capacity follows free
// memory, the KV budget and the session cap.
using Rtfm.Core.Geometry;
using Rtfm.Cuda.Backend;
using Rtfm.Cuda.Devices;
using Rtfm.Model;
using Rtfm.Model.Weights;
using Xunit.Abstractions;

namespace Rtfm.Cuda.Tests;

public sealed class CudaCapacityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(GemmPrecision.Bf16)]
    [InlineData(GemmPrecision.F32)]
    public void The_formula_counts_the_bytes_the_render_pool_allocates(GemmPrecision gemm)
    {
        var config = DeviceKvCacheTests.Small;
        var device = new EmulatedDevice(EmulatorFixture.Emulator, new EmulatedDeviceOptions { TotalBytes = 64L << 20 });
        var capacity = CudaCapacity.Compute(device.MemoryInfo(), config, gemm, new CudaCapacityOptions { MaxSessions = 1000 });

        using var pool = new CudaRenderPool(ModelWeights.RandomInit(config, seed: 41), new CudaBackend(device, new CudaBackendOptions(gemm)), new CudaRenderPoolOptions(2, capacity.KvBudgetBytes));
        Assert.Equal(capacity.ModelBytes, device.AllocatedBytes); // weights + the first stream's workspace
        var k = Intrinsics.FromFieldOfView(config.ImageWidth, config.ImageHeight, 65);
        var block = pool.Encode(ModelTestKit.RandomFrame(config, 1), ModelTestKit.PoseAt(0, 0, 0), k, key: "m|a"); // creates one lane, keeps one block
        Assert.Equal(capacity.ModelBytes + capacity.BytesPerSession + RtfmModel.BlockBytes(config), device.AllocatedBytes);
        Assert.Equal(config.ContextFrames * RtfmModel.BlockBytes(config), capacity.KvWorkingSetPerSession);

        long free = 64L << 20, reserve = (long)(0.1 * free), usable = free - capacity.ModelBytes - reserve;
        Assert.Equal(reserve, capacity.ReserveBytes);
        Assert.Equal((long)(0.5 * usable), capacity.KvBudgetBytes);
        long expected = Math.Min((usable - capacity.KvBudgetBytes) / capacity.BytesPerSession, capacity.KvBudgetBytes / capacity.KvWorkingSetPerSession);
        Assert.Equal(expected, capacity.Sessions);
        Assert.True(block.IsOnHost);
    }

    [Fact]
    public void Capacity_follows_free_memory_the_kv_budget_and_the_cap()
    {
        var tiny = ModelConfig.Tiny;
        CudaCapacity At(long freeMiB, CudaCapacityOptions? o = null) =>
            CudaCapacity.Compute(new DeviceMemoryInfo(freeMiB << 20, 80L << 30), tiny, GemmPrecision.Bf16, o ?? new CudaCapacityOptions { MaxSessions = 100_000 });

        var h100 = At(79 * 1024);
        var half = At(40 * 1024);
        output.WriteLine($"RTFM-tiny, 79 GiB free: {h100}; block {RtfmModel.BlockBytes(tiny)} B, workspace {RtfmModel.WorkspaceBytes(tiny)} B, model {h100.ModelBytes} B");
        Assert.True(h100.Sessions > 1000, h100.ToString()); // memory is not what limits RTFM-tiny on an H100
        Assert.InRange(half.Sessions, h100.Sessions * 45 / 100, h100.Sessions * 55 / 100);
        Assert.Equal(64, At(79 * 1024, new CudaCapacityOptions()).Sessions); // the default cap
        // A fixed KV budget of 10 contexts: 10 sessions, whatever the rest allows.
        long context = tiny.ContextFrames * RtfmModel.BlockBytes(tiny);
        Assert.Equal(10, At(79 * 1024, new CudaCapacityOptions { KvBudgetBytes = 10 * context, MaxSessions = 100_000 }).Sessions);
        var e = Assert.Throws<InvalidOperationException>(() => At(4));
        Assert.Contains("cannot hold one session", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => At(1024, new CudaCapacityOptions { KvBudgetFraction = 1.5 }));
    }
}
