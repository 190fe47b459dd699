// Streams, memory and faults of the emulated GPU, and what the render pool builds on them:
// operations on one stream run in order while streams run independently; free memory follows
// allocations and an allocation beyond the total fails like cuMemAlloc; an injected illegal
// address is reported at the next synchronising call and is sticky for every stream; sessions
// rendering at once on their own lanes get exactly their single-session frames, with no waits
// inside a render but its download.
using Rtfm.Core.Geometry;
using Rtfm.Cuda.Backend;
using Rtfm.Cuda.Devices;
using Rtfm.Cuda.Kernels;
using Rtfm.Model;
using Rtfm.Model.Weights;

namespace Rtfm.Cuda.Tests;

public sealed class StreamsAndFaultsTests
{
    [Fact]
    public void Work_on_each_stream_runs_in_enqueue_order_while_two_streams_interleave()
    {
        using var device = new EmulatedDevice(EmulatorFixture.Emulator);
        using var other = device.WithNewStream();
        var random = new Random(5);
        const int n = 4096;
        var inputs = new[] { Values(random, n), Values(random, n) };
        var memory = new[] { device.Allocate(n * sizeof(float)), device.Allocate(n * sizeof(float)) };
        var streams = new ICudaDevice[] { device, other };
        for (int round = 0; round < 20; round++)
        {
            for (int s = 0; s < 2; s++)
            {
                // Fill, upload, then GELU in place, then overwrite half with a copy: each step must see the one before.
                streams[s].Fill(memory[s], 0xFF);
                streams[s].Upload<float>(memory[s], 0, inputs[s]);
                streams[s].Launch("gelu", new Dim3(16), new Dim3(256), 0, new GeluParams { X = memory[s].Pointer, Y = memory[s].Pointer, N = n });
                streams[s].Upload<float>(memory[s], 0, inputs[s].AsSpan(0, n / 2));
            }
            for (int s = 0; s < 2; s++)
            {
                var got = new float[n];
                streams[s].Download<float>(memory[s], 0, got);
                for (int i = 0; i < n; i++)
                {
                    float want = i < n / 2 ? inputs[s][i] : Gelu(inputs[s][i]);
                    Assert.True(Math.Abs(got[i] - want) <= 1e-6f + 1e-5f * Math.Abs(want), $"round {round}, stream {s}, element {i}: got {got[i]}, want {want} (out of order?)");
                }
            }
        }
    }

    [Fact]
    public void Free_memory_follows_allocations_and_an_allocation_beyond_the_total_fails()
    {
        using var device = new EmulatedDevice(EmulatorFixture.Emulator, new EmulatedDeviceOptions { TotalBytes = 1 << 20 });
        Assert.Equal(new DeviceMemoryInfo(1 << 20, 1 << 20), device.MemoryInfo());
        var a = device.Allocate(1000); // charged 1024, cuMemAlloc's 256-byte granularity
        var b = device.WithNewStream().Allocate(300_000);
        Assert.Equal((1 << 20) - 1024 - 300_032, device.MemoryInfo().FreeBytes);
        var e = Assert.Throws<CudaException>(() => device.Allocate(800_000));
        Assert.Equal("CUDA_ERROR_OUT_OF_MEMORY", e.ErrorName);
        b.Dispose();
        Assert.Equal((1 << 20) - 1024, device.MemoryInfo().FreeBytes);
        a.Dispose();
        Assert.Equal(1 << 20, device.MemoryInfo().FreeBytes);
    }

    [Fact]
    public void An_injected_illegal_address_is_reported_at_the_next_wait_and_fails_every_stream_after()
    {
        using var device = new EmulatedDevice(EmulatorFixture.Emulator);
        using var other = device.WithNewStream();
        var x = device.Allocate(1024 * sizeof(float));
        device.Upload<float>(x, 0, Values(new Random(3), 1024));
        var p = new GeluParams { X = x.Pointer, Y = x.Pointer, N = 1024 };
        device.Launch("gelu", new Dim3(4), new Dim3(256), 0, p);
        device.Synchronize();
        device.InjectFault(2);

        device.Launch("gelu", new Dim3(4), new Dim3(256), 0, p); // fine
        device.Launch("gelu", new Dim3(4), new Dim3(256), 0, p); // faults, reported later
        var e = Assert.Throws<CudaException>(device.Synchronize);
        Assert.Equal(("CUDA_ERROR_ILLEGAL_ADDRESS", 700), (e.ErrorName, e.Code));
        Assert.True(CudaErrors.IsContextFatal(e));

        // Sticky: the other stream, allocations and memory queries fail too.
        Assert.Equal("CUDA_ERROR_ILLEGAL_ADDRESS", Assert.Throws<CudaException>(() => other.Launch("gelu", new Dim3(4), new Dim3(256), 0, p)).ErrorName);
        Assert.Equal("CUDA_ERROR_ILLEGAL_ADDRESS", Assert.Throws<CudaException>(() => device.Allocate(16)).ErrorName);
        Assert.Equal("CUDA_ERROR_ILLEGAL_ADDRESS", Assert.Throws<CudaException>(() => other.MemoryInfo()).ErrorName);
        Assert.Equal(3, device.Launches); // the refused launch on the other stream never ran
    }

    [Fact]
    public async Task Sessions_rendering_at_once_on_their_own_lanes_get_their_single_session_frames()
    {
        var config = DeviceKvCacheTests.Small;
        var weights = ModelWeights.RandomInit(config, seed: 31);
        var k = Intrinsics.FromFieldOfView(config.ImageWidth, config.ImageHeight, 65);
        var lanes = new List<RecordingDevice>();
        var device = new RecordingDevice(new EmulatedDevice(EmulatorFixture.Emulator), lanes);
        using var pool = new CudaRenderPool(weights, new CudaBackend(device), new CudaRenderPoolOptions(Lanes: 3, KvBudgetBytes: 8 * RtfmModel.BlockBytes(config)));
        // Three sessions, each with its own two context frames and its own target.
        var sessions = Enumerable.Range(0, 3).Select(s => (
            Context: Enumerable.Range(0, 2).Select(i => new KeyedKvBlock($"m|s{s}f{i}",
                pool.Encode(ModelTestKit.RandomFrame(config, (ulong)(10 * s + i)), ModelTestKit.PoseAt(0.4f * i, 0.2f * s, 25 * i - 10 * s), k, $"m|s{s}f{i}"))).ToArray(),
            Target: ModelTestKit.PoseAt(0.1f * s, 0.15f, 5 + 10 * s),
            Seed: (ulong)(100 + s))).ToArray();
        var alone = sessions.Select(s => pool.Render(s.Target, k, s.Context, s.Seed)).ToArray();
        Assert.Equal(1, pool.LanesCreated); // one at a time: one lane was enough

        var before = lanes.ToDictionary(l => l, l => (l.Downloads, l.Synchronizes));
        using var start = new Barrier(3);
        var together = sessions.Select(s => Task.Run(() =>
        {
            start.SignalAndWait();
            return pool.Render(s.Target, k, s.Context, s.Seed);
        })).ToArray();
        var frames = await Task.WhenAll(together);

        Assert.Equal(3, pool.LanesCreated);
        Assert.Equal(3, pool.PeakInFlight);
        for (int s = 0; s < 3; s++)
        {
            Assert.Equal(alone[s].Pixels, frames[s].Pixels);
            Assert.Contains(alone[s].Pixels, p => p > 0.02f && p < 0.98f);
        }
        Assert.NotEqual(alone[0].Pixels, alone[1].Pixels);
        // Every block was resident (encoded with its key): no uploads, and each lane's render
        // waited exactly once, at its frame's download; nothing else synchronised its stream.
        Assert.Equal((0L, 12L), (pool.Kv.Stats.Misses, pool.Kv.Stats.Hits));
        Assert.Equal(3, lanes.Count);
        Assert.All(lanes, lane =>
        {
            var (downloads, synchronizes) = before.GetValueOrDefault(lane);
            Assert.Equal((1, 0), (lane.Downloads - downloads, lane.Synchronizes - synchronizes));
        });
    }

    private static float[] Values(Random random, int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 8 - 4)).ToArray();

    private static float Gelu(float x) => (float)(0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))));
}
