// The per-kernel cost model behind docs/performance.md agrees with the model it describes: its
// FLOPs match ModelConfig's own count, and its launches are exactly the kernels the CUDA
// backend enqueues for a real frame on the emulated device.
using System.Numerics;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;
using Rtfm.Core.Numerics;
using Rtfm.Cuda.Backend;
using Rtfm.Cuda.Devices;
using Rtfm.Model;
using Rtfm.Model.Weights;

namespace Rtfm.Cuda.Tests;

public sealed class FrameCostModelTests
{
    public static TheoryData<string> Configs => new() { "tiny", "prod-256", "prod-640x360" };

    private static ModelConfig Config(string name) => name switch
    {
        "tiny" => ModelConfig.Tiny,
        "prod-256" => new(ImageHeight: 256, ImageWidth: 256, Patch: 16, Width: 768, Depth: 12, Heads: 12, ContextFrames: 4, SamplerSteps: 4),
        _ => new(ImageHeight: 360, ImageWidth: 640, Patch: 20, Width: 1024, Depth: 16, Heads: 16, ContextFrames: 4, SamplerSteps: 4),
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void Frame_flops_match_the_configs_own_count(string name)
    {
        var c = Config(name);
        var costs = FrameCostModel.Render(c, c.ContextFrames, c.SamplerSteps);
        // ModelConfig counts the token GEMMs and attention; the M = 1 GEMMs (time MLP, adaLN) are extra.
        double tokenWork = costs.Where(k => !k.Op.Contains("M = 1", StringComparison.Ordinal)).Sum(k => k.Flops);
        Assert.Equal(c.RenderFlops(c.ContextFrames, c.SamplerSteps), tokenWork, precision: 0);
        double small = costs.Where(k => k.Op.Contains("M = 1", StringComparison.Ordinal)).Sum(k => k.Flops);
        long d = c.Width;
        Assert.Equal(c.SamplerSteps * 2.0 * ((c.TimeFrequencies * d) + (d * d) + (c.Depth * 6 * d * d) + (2 * d * d)), small, precision: 0);
    }

    [Fact]
    public void Launches_per_frame_are_the_kernels_the_backend_enqueues()
    {
        var c = new ModelConfig(ImageHeight: 32, ImageWidth: 32, Patch: 8, Width: 64, Depth: 2, Heads: 2, ContextFrames: 2, SamplerSteps: 3, TimeFrequencies: 32);
        var device = new RecordingDevice(new EmulatedDevice(EmulatorFixture.Emulator));
        using var model = new RtfmModel(ModelWeights.RandomInit(c, 7), new CudaBackend(device));
        var k = Intrinsics.FromFieldOfView(c.ImageWidth, c.ImageHeight, 65);
        var frame = new RgbImage(c.ImageWidth, c.ImageHeight);
        var rng = new DeterministicRandom(2);
        for (int i = 0; i < frame.Pixels.Length; i++) frame.Pixels[i] = (float)rng.NextDouble();
        var pose = Pose.LookAt(new Vector3(0, 1.5f, 0), new Vector3(0.2f, 1.4f, 3));

        int before = device.Launches;
        var block = model.Encode(frame, pose, k);
        Assert.Equal(FrameCostModel.Encode(c).Sum(x => x.Launches), device.Launches - before);

        before = device.Launches;
        model.Render(pose, k, [block, block], seed: 1);
        Assert.Equal(FrameCostModel.Render(c, 2, c.SamplerSteps).Sum(x => x.Launches), device.Launches - before);
    }

    [Fact]
    public void The_projection_is_the_roofline_of_each_kernel()
    {
        var gpu = new GpuSpec("test", TensorFlops: 100e12, SimtFlops: 10e12, Bandwidth: 1e12, Sms: 10);
        KernelCost[] costs =
        [
            new("gemm_bf16_tc", "compute bound", 1, 1e12, 1e9, true, 100),  // 10 ms compute vs 1 ms memory
            new("gelu", "memory bound", 1, 0, 2e9, false, 5),                 // half the SMs: 4 ms
            new("gated_residual", "launch bound", 1000, 0, 1e3, false, 10),   // 1000 launches x 2 µs = 2 ms
        ];
        var p = FrameCostModel.Project(costs, gpu, new Efficiency(1, 1, 1, 2e-6));
        Assert.Equal(0.016, p.Seconds, precision: 9);
        Assert.Equal(1002, p.Launches);
        Assert.Equal(62.5, p.FramesPerSecond, precision: 6);
    }
}
