// Parity with the PyTorch trainer (tools/train/rtfm/model.py): tests/golden holds small
// models with random weights (rtfm-golden: raw rays; rtfm-golden-rays: with ray Fourier features) and PyTorch f32 outputs for fixed inputs (make_golden.py). The C#
// engine must reproduce the KV blocks and the rendered frame within 1e-4 relative, on the CPU
// engine and on the reference backend — so the spec, not one implementation, is what is tested.
using System.Numerics;
using Rtfm.Compute;
using Rtfm.Compute.Cpu;
using Rtfm.Compute.Reference;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;
using Rtfm.Model.Weights;
using Rtfm.Safetensors;

namespace Rtfm.Model.Tests;

public sealed class GoldenParityTests
{
    private static string GoldenDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "golden");
            if (File.Exists(Path.Combine(candidate, "rtfm-golden.safetensors"))) return candidate;
        }
        throw new FileNotFoundException("tests/golden/rtfm-golden.safetensors not found above the test binaries; regenerate with tools/train/make_golden.py");
    }

    private static Pose PoseFrom(float[] p) => new(new Vector3(p[0], p[1], p[2]), QuaternionMath.FromWxyz(p[3], p[4], p[5], p[6]));

    public static TheoryData<string, string> Cases => new()
    {
        { "rtfm-golden", "cpu" }, { "rtfm-golden", "reference" },
        { "rtfm-golden-rays", "cpu" }, { "rtfm-golden-rays", "reference" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Kv_blocks_and_rendered_frame_match_pytorch(string golden, string backend)
    {
        string dir = GoldenDir();
        var weights = ModelWeights.Load(Path.Combine(dir, golden + ".safetensors"));
        var io = SafetensorsFile.Open(Path.Combine(dir, golden + "-io.safetensors"));
        var c = weights.Config;
        Assert.Equal(golden == "rtfm-golden-rays" ? 3 : 0, c.RayFrequencies);
        IComputeBackend b = backend == "cpu" ? new CpuBackend(new CpuEngineOptions(2)) : new ReferenceBackend();
        using var model = new RtfmModel(weights, b);
        var intr = io.ReadFloat32("intrinsics");
        var k = new Intrinsics(c.ImageWidth, c.ImageHeight, intr[0], intr[1], intr[2], intr[3]);

        var blocks = new List<KvBlock>();
        for (int i = 0; i < 2; i++)
        {
            var image = new RgbImage(c.ImageWidth, c.ImageHeight, io.ReadFloat32($"ctx.{i}.image"));
            var block = model.Encode(image, PoseFrom(io.ReadFloat32($"ctx.{i}.pose")), k);
            for (int l = 0; l < c.Depth; l++)
            {
                Close(io.ReadFloat32($"expect.kv.{i}.{l}.k"), Download(b, block.Keys[l]), $"{golden} {backend} kv {i} layer {l} keys");
                Close(io.ReadFloat32($"expect.kv.{i}.{l}.v"), Download(b, block.Values[l]), $"{golden} {backend} kv {i} layer {l} values");
            }
            blocks.Add(block);
        }

        var frame = new RgbImage(c.ImageWidth, c.ImageHeight);
        model.RenderFromNoise(PoseFrom(io.ReadFloat32("target.pose")), k, blocks, io.ReadFloat32("noise"), frame);
        Close(io.ReadFloat32("expect.frame"), frame.Pixels, $"{golden} {backend} rendered frame");
    }

    private static float[] Download(IComputeBackend b, Tensor t)
    {
        var a = new float[t.Length];
        b.Download(t, a);
        return a;
    }

    /// <summary>Within 1e-4 relative to the tensor's scale (max |value|), element by element.</summary>
    private static void Close(float[] want, float[] got, string what)
    {
        Assert.Equal(want.Length, got.Length);
        float scale = want.Max(MathF.Abs);
        float tol = 1e-4f * scale;
        int worst = 0;
        for (int i = 0; i < want.Length; i++)
            if (MathF.Abs(want[i] - got[i]) > MathF.Abs(want[worst] - got[worst])) worst = i;
        float err = MathF.Abs(want[worst] - got[worst]);
        Assert.True(err <= tol, $"{what}: max |C# - PyTorch| = {err:G3} at [{worst}] ({got[worst]:G7} vs {want[worst]:G7}), tolerance {tol:G3} (1e-4 x max |value| {scale:G4})");
    }
}
