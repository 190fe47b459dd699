// Device-resident KV blocks on the emulated GPU: hits, misses and LRU evictions are counted as
// the sequence of renders implies, the device never holds more KV bytes than the budget (measured
// on the emulated device's own allocation counter), an evicted block uploaded again renders the
// same frame bit for bit, and blocks pinned by renders in flight are never evicted.
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;
using Rtfm.Cuda.Backend;
using Rtfm.Cuda.Devices;
using Rtfm.Model;
using Rtfm.Model.Weights;

namespace Rtfm.Cuda.Tests;

public sealed class DeviceKvCacheTests
{
    internal static readonly ModelConfig Small = new(ImageHeight: 32, ImageWidth: 32, Patch: 8, Width: 64, Depth: 2, Heads: 2, ContextFrames: 2, SamplerSteps: 2, TimeFrequencies: 32);

    [Fact]
    public void Blocks_stay_within_the_budget_least_recently_used_first_and_an_evicted_block_renders_the_same_frame()
    {
        var device = new EmulatedDevice(EmulatorFixture.Emulator);
        long blockBytes = RtfmModel.BlockBytes(Small);
        using var pool = new CudaRenderPool(ModelWeights.RandomInit(Small, seed: 21), new CudaBackend(device), new CudaRenderPoolOptions(Lanes: 1, KvBudgetBytes: 3 * blockBytes + blockBytes / 2));
        var k = Intrinsics.FromFieldOfView(Small.ImageWidth, Small.ImageHeight, 65);
        // Host blocks of 4 frames (no key: encoding keeps nothing resident); the first encode creates the lane.
        var blocks = Enumerable.Range(0, 4)
            .Select(i => new KeyedKvBlock($"m|frame{i}", pool.Encode(ModelTestKit.RandomFrame(Small, (ulong)(30 + i)), ModelTestKit.PoseAt(0.3f * i, 0.1f * i, 20 * i), k, key: null)))
            .ToArray();
        Assert.All(blocks, b => Assert.True(b.Block.IsOnHost, "sessions hold host blocks"));
        Assert.Equal(3, pool.Kv.CapacityBlocks);
        long baseline = device.AllocatedBytes; // weights, the lane's workspace and scratch block
        var target = ModelTestKit.PoseAt(0.1f, 0.2f, 10);
        var budgetChecks = new List<string>();

        RgbImage Render(params int[] which)
        {
            var frame = pool.Render(target, k, which.Select(i => blocks[i]).ToArray(), seed: 7);
            var s = pool.Kv.Stats;
            long kvOnDevice = device.PeakAllocatedBytes - baseline;
            budgetChecks.Add($"after [{string.Join(",", which)}]: {s.ResidentBlocks} resident, {s.ResidentBytes} B, device KV peak {kvOnDevice} B, budget {s.BudgetBytes} B");
            Assert.True(s.ResidentBytes <= s.BudgetBytes && kvOnDevice <= s.BudgetBytes, string.Join("\n", budgetChecks));
            return frame;
        }

        var first = Render(0, 1);
        Assert.Equal((0L, 2L, 0L), (pool.Kv.Stats.Hits, pool.Kv.Stats.Misses, pool.Kv.Stats.Evictions));
        var again = Render(0, 1);
        Assert.Equal((2L, 2L, 0L), (pool.Kv.Stats.Hits, pool.Kv.Stats.Misses, pool.Kv.Stats.Evictions));
        Assert.Equal(first.Pixels, again.Pixels);

        Render(2, 3); // room for one more: the least recently used (frame 0) is evicted for frame 3
        Assert.Equal((2L, 4L, 1L), (pool.Kv.Stats.Hits, pool.Kv.Stats.Misses, pool.Kv.Stats.Evictions));
        Assert.False(pool.Kv.IsResident("m|frame0"), "frame 0 was the least recently used block");
        Assert.True(pool.Kv.IsResident("m|frame1") && pool.Kv.IsResident("m|frame2") && pool.Kv.IsResident("m|frame3"));

        // Frame 0 comes back into the memory of the block evicted now (frame 1, least recent), frame 1 then into frame 2's.
        var reuploaded = Render(0, 1);
        Assert.Equal((2L, 6L, 3L), (pool.Kv.Stats.Hits, pool.Kv.Stats.Misses, pool.Kv.Stats.Evictions));
        Assert.Equal(first.Pixels, reuploaded.Pixels);

        // The cache changes nothing: the same frame from device blocks encoded and read directly.
        var direct = pool.Model.Render(target, k, [
            pool.Model.Encode(ModelTestKit.RandomFrame(Small, 30), ModelTestKit.PoseAt(0, 0, 0), k),
            pool.Model.Encode(ModelTestKit.RandomFrame(Small, 31), ModelTestKit.PoseAt(0.3f, 0.1f, 20), k)], seed: 7);
        Assert.Equal(direct.Pixels, first.Pixels);
        Assert.Contains(first.Pixels, p => p > 0.02f && p < 0.98f);
        Assert.Equal(3 * blockBytes, pool.Kv.Stats.PeakResidentBytes);
    }

    [Fact]
    public void An_encoded_block_with_a_key_stays_resident_and_its_first_render_is_a_hit()
    {
        var device = new EmulatedDevice(EmulatorFixture.Emulator);
        using var pool = new CudaRenderPool(ModelWeights.RandomInit(Small, seed: 22), new CudaBackend(device), new CudaRenderPoolOptions(1, 4 * RtfmModel.BlockBytes(Small)));
        var k = Intrinsics.FromFieldOfView(Small.ImageWidth, Small.ImageHeight, 65);
        var a = pool.Encode(ModelTestKit.RandomFrame(Small, 1), ModelTestKit.PoseAt(0, 0, 0), k, key: "m|a");
        var b = pool.Encode(ModelTestKit.RandomFrame(Small, 2), ModelTestKit.PoseAt(0.5f, 0, 30), k, key: "m|b");

        var frame = pool.Render(ModelTestKit.PoseAt(0.2f, 0, 10), k, [new("m|a", a), new("m|b", b)], seed: 1);

        Assert.Equal((2L, 0L, 0L, 2), (pool.Kv.Stats.Hits, pool.Kv.Stats.Misses, pool.Kv.Stats.Evictions, pool.Kv.Stats.ResidentBlocks));
        Assert.Contains(frame.Pixels, p => p > 0.02f && p < 0.98f);
    }

    [Fact]
    public void Blocks_pinned_by_a_render_in_flight_are_never_evicted()
    {
        var device = new EmulatedDevice(EmulatorFixture.Emulator);
        var weights = ModelWeights.RandomInit(Small, seed: 23);
        using var backend = new CudaBackend(device);
        using var model = new RtfmModel(weights, backend);
        var cache = new DeviceKvCache(model, 3 * RtfmModel.BlockBytes(Small));
        var k = Intrinsics.FromFieldOfView(Small.ImageWidth, Small.ImageHeight, 65);
        var host = Enumerable.Range(0, 4).Select(i => new KeyedKvBlock($"m|{i}", model.ToHost(model.Encode(ModelTestKit.RandomFrame(Small, (ulong)i), ModelTestKit.PoseAt(i, 0, 0), k)))).ToArray();

        using (cache.Acquire(backend, [host[0], host[1]]))
        {
            // Frame 2 takes the free slot; frame 3 would need a pinned block's memory.
            var e = Assert.Throws<KvBudgetExceededException>(() => cache.Acquire(backend, [host[2], host[3]]));
            Assert.Contains("held entirely by renders in flight", e.Message, StringComparison.Ordinal);
            Assert.True(cache.IsResident("m|0") && cache.IsResident("m|1"), "pinned blocks must stay");
        }
        using (var lease = cache.Acquire(backend, [host[2], host[3]]))
        {
            Assert.Equal(2, lease.Blocks.Count);
            var keys = new float[Small.TokensPerFrame * Small.Width];
            backend.Download(lease.Blocks[1].Keys[1], keys);
            Assert.Equal(((Rtfm.Compute.Host.HostTensor)host[3].Block.Keys[1]).Span.ToArray(), keys);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceKvCache(model, RtfmModel.BlockBytes(Small)));
    }
}
