// Whole frames through the CUDA backend on the kernel emulator against the CPU engine: RTFM-tiny
// (ModelConfig.Tiny, seeded random weights; bf16 GEMMs) and a smaller config (f32 GEMMs) encode
// context frames and render a view with each backend, and the pixels agree within the GEMM precision's tolerance. The recording device
// shows the backend never waits inside ops: a frame synchronises only at its one download.
using Rtfm.Compute;
using Rtfm.Compute.Cpu;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;
using Rtfm.Cuda.Backend;
using Rtfm.Cuda.Devices;
using Rtfm.Model;
using Rtfm.Model.Weights;
using Xunit.Abstractions;

namespace Rtfm.Cuda.Tests;

public sealed class CudaFrameParityTests(ITestOutputHelper output)
{
    // The emulator takes ~30 s for a tiny-config frame with its 4 context encodes on 2 cores:
    // the production precision (bf16) runs the tiny config; the exact f32 path, whose errors
    // do not depend on the size, runs a smaller one.
    private static readonly ModelConfig Small = new(ImageHeight: 32, ImageWidth: 32, Patch: 8, Width: 128, Depth: 3, Heads: 2, ContextFrames: 2, SamplerSteps: 3, TimeFrequencies: 64);

    public static TheoryData<string, GemmPrecision, double, double> Cases => new()
    {
        // config, precision, max |Δpixel| allowed, mean |Δpixel| allowed (pixels in [0, 1])
        { "tiny", GemmPrecision.Bf16, 0.02, 0.002 },
        { "small", GemmPrecision.F32, 1e-5, 1e-6 },
        { "small-rays", GemmPrecision.F32, 1e-5, 1e-6 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_frame_rendered_on_the_emulated_gpu_matches_the_cpu_engine(string configName, GemmPrecision precision, double maxAllowed, double meanAllowed)
    {
        var config = configName switch { "tiny" => ModelConfig.Tiny, "small-rays" => Small with { RayFrequencies = 6 }, _ => Small };
        var weights = ModelWeights.RandomInit(config, seed: 11);
        var intrinsics = Intrinsics.FromFieldOfView(config.ImageWidth, config.ImageHeight, 65);
        var target = PoseAt(0.1f, 0.1f, 5);

        var started = DateTime.UtcNow;
        var (cpuFrame, cpuKeys) = RenderWith(new CpuBackend(new CpuEngineOptions(Threads: 2)), config, weights, intrinsics, target);
        var cpuTime = DateTime.UtcNow - started;
        started = DateTime.UtcNow;
        var device = new RecordingDevice(new EmulatedDevice(EmulatorFixture.Emulator));
        var (gpuFrame, gpuKeys) = RenderWith(new CudaBackend(device, new CudaBackendOptions(precision)), config, weights, intrinsics, target);
        var gpuTime = DateTime.UtcNow - started;

        var (keyMax, keyMean) = Errors(cpuKeys, gpuKeys);
        var (max, mean) = Errors(cpuFrame.Pixels, gpuFrame.Pixels);
        output.WriteLine($"{configName} {precision}: context keys (last layer of block 0) max {keyMax:G3} mean {keyMean:G3} (rms {Rms(cpuKeys):G3}); " +
                         $"frame pixels max {max:G3} mean {mean:G3}; cpu {cpuTime.TotalSeconds:F1} s, emulated gpu {gpuTime.TotalSeconds:F1} s");

        Assert.True(max <= maxAllowed && mean <= meanAllowed,
            $"{configName} {precision} frame differs from the CPU engine: max |Δ| {max:G3} (allowed {maxAllowed}), mean {mean:G3} (allowed {meanAllowed}); keys max {keyMax:G3}");
        // The frame must carry signal for the comparison to mean anything (not saturated, not flat).
        double spread = Rms(cpuFrame.Pixels.Select(p => p - 0.5f).ToArray());
        Assert.True(spread > 0.05, $"the CPU frame is nearly flat (rms about 0.5 = {spread:G3}): the parity test would prove nothing");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)] // ray features: computed on the host and uploaded, never read back
    public void A_frame_waits_on_the_device_only_at_its_download(int rayFrequencies)
    {
        var config = new ModelConfig(ImageHeight: 32, ImageWidth: 32, Patch: 8, Width: 64, Depth: 2, Heads: 2, ContextFrames: 2, SamplerSteps: 2, TimeFrequencies: 32, RayFrequencies: rayFrequencies);
        var device = new RecordingDevice(new EmulatedDevice(EmulatorFixture.Emulator));
        using var model = new RtfmModel(ModelWeights.RandomInit(config, 5), new CudaBackend(device));
        var intrinsics = Intrinsics.FromFieldOfView(config.ImageWidth, config.ImageHeight, 65);
        var block = model.Encode(RandomFrame(config, 1), PoseAt(0, 0, 0), intrinsics);
        Assert.Equal(0, device.Downloads);
        Assert.Equal(0, device.Synchronizes);
        int launchesBefore = device.Launches;

        var frame = model.Render(PoseAt(0.2f, 0, 10), intrinsics, [block], seed: 3);

        Assert.Equal(1, device.Downloads);
        Assert.Equal(0, device.Synchronizes);
        Assert.True(device.Launches - launchesBefore > 20, $"a render should enqueue many kernels, saw {device.Launches - launchesBefore}");
        Assert.Contains(frame.Pixels, p => p > 0.01f && p < 0.99f);
    }

    private static (RgbImage Frame, float[] Keys) RenderWith(IComputeBackend backend, ModelConfig config, ModelWeights weights, Intrinsics intrinsics, Pose target)
    {
        using var model = new RtfmModel(weights, backend);
        var context = new List<KvBlock>();
        for (int i = 0; i < config.ContextFrames; i++)
            context.Add(model.Encode(RandomFrame(config, (ulong)(100 + i)), PoseAt(0.3f * i, -0.2f * i, 15 * i - 20), intrinsics));
        var keys = new float[config.TokensPerFrame * config.Width];
        backend.Download(context[0].Keys[config.Depth - 1], keys);
        return (model.Render(target, intrinsics, context, seed: 42), keys);
    }

    private static (double Max, double Mean) Errors(float[] want, float[] got)
    {
        Assert.Equal(want.Length, got.Length);
        double max = 0, sum = 0;
        for (int i = 0; i < want.Length; i++)
        {
            double e = Math.Abs((double)want[i] - got[i]);
            if (double.IsNaN(e)) return (double.NaN, double.NaN);
            max = Math.Max(max, e);
            sum += e;
        }
        return (max, sum / want.Length);
    }

    private static double Rms(float[] a) => TensorAssert.Rms(a);

    private static RgbImage RandomFrame(ModelConfig c, ulong seed) => ModelTestKit.RandomFrame(c, seed);

    private static Pose PoseAt(float x, float z, float yawDegrees) => ModelTestKit.PoseAt(x, z, yawDegrees);
}

/// <summary>A device that counts what the backend asks of it, passing everything through; its stream views are recorded in <paramref name="lanes"/>.</summary>
internal sealed class RecordingDevice(ICudaDevice inner, List<RecordingDevice>? lanes = null) : ICudaDevice
{
    private int _downloads, _synchronizes, _launches;

    public int Downloads => Volatile.Read(ref _downloads);

    public int Synchronizes => Volatile.Read(ref _synchronizes);

    public int Launches => Volatile.Read(ref _launches);

    public string Name => inner.Name;

    public DeviceMemory Allocate(long bytes) => inner.Allocate(bytes);

    public void Upload<T>(DeviceMemory destination, long offset, ReadOnlySpan<T> source) where T : unmanaged => inner.Upload(destination, offset, source);

    public void Download<T>(DeviceMemory source, long offset, Span<T> destination) where T : unmanaged
    {
        Interlocked.Increment(ref _downloads);
        inner.Download(source, offset, destination);
    }

    public void Copy(DeviceMemory source, long sourceOffset, DeviceMemory destination, long destinationOffset, long bytes) =>
        inner.Copy(source, sourceOffset, destination, destinationOffset, bytes);

    public void Fill(DeviceMemory memory, byte value) => inner.Fill(memory, value);

    public void Launch<TParams>(string kernel, Dim3 grid, Dim3 block, uint dynamicSharedBytes, in TParams parameters) where TParams : unmanaged
    {
        Interlocked.Increment(ref _launches);
        inner.Launch(kernel, grid, block, dynamicSharedBytes, parameters);
    }

    public void Synchronize()
    {
        Interlocked.Increment(ref _synchronizes);
        inner.Synchronize();
    }

    public DeviceMemoryInfo MemoryInfo() => inner.MemoryInfo();

    public ICudaDevice WithNewStream()
    {
        var lane = new RecordingDevice(inner.WithNewStream(), lanes);
        if (lanes is not null)
        {
            lock (lanes) lanes.Add(lane);
        }
        return lane;
    }

    public void Dispose() => inner.Dispose();
}
