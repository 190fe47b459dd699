// The device interface the CUDA backend's host code is written against: the emulated device
// runs a chain of kernels (one adaLN MLP half-block) exactly as host code would drive a GPU,
// and the driver device fails to open with the cause on a machine without one.
using Rtfm.Compute;
using Rtfm.Compute.Reference;
using Rtfm.Cuda.Devices;
using Rtfm.Cuda.Driver;
using Rtfm.Cuda.Interop;
using Rtfm.Cuda.Kernels;

namespace Rtfm.Cuda.Tests;

public sealed class CudaDeviceTests
{
    private static EmulatedDevice OpenEmulated() => new(EmulatorFixture.Emulator);

    [Fact]
    public void Emulated_memory_round_trips_at_offsets_and_fills()
    {
        using var device = OpenEmulated();
        using var mem = device.Allocate(4096);
        Assert.Equal(0UL, mem.Pointer.Address % 256);
        device.Fill(mem, 0xAB);
        var values = TensorAssert.Random(100, 1);
        device.Upload<float>(mem, 400, values);
        var back = new float[100];
        device.Download<float>(mem, 400, back);
        TensorAssert.BitIdentical(values, back, "upload/download at offset 400");
        var head = new byte[400];
        device.Download<byte>(mem, 0, head);
        Assert.All(head, b => Assert.Equal(0xAB, b));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => device.Upload<float>(mem, 4000, values));
        Assert.Contains("exceed the 4096-byte device allocation", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_adaln_mlp_half_block_on_the_emulated_device_matches_the_reference_chain()
    {
        // x += gate ⊙ (GELU(LN(x)·(1 + scale) + shift) · W1 + b1) · W2 + b2), tiny sizes: T 64, D 256, hidden 1024.
        const int t = 64, d = 256, hidden = 1024;
        var x = TensorAssert.Random(t * d, 1, 2f);
        var shift = TensorAssert.Random(d, 2);
        var scale = TensorAssert.Random(d, 3);
        var gate = TensorAssert.Random(d, 4);
        var w1 = TensorAssert.Random(d * hidden, 5, 1f / MathF.Sqrt(d));
        var b1 = TensorAssert.Random(hidden, 6);
        var w2 = TensorAssert.Random(hidden * d, 7, 1f / MathF.Sqrt(hidden));
        var b2 = TensorAssert.Random(d, 8);

        var r = new ReferenceBackend();
        Tensor T(float[] a, params int[] shape) { var v = r.Allocate(shape); r.Upload(v, a); return v; }
        var rx = T(x, t, d);
        var rh = r.Allocate(t, d);
        var ru = r.Allocate(t, hidden);
        var rv = r.Allocate(t, d);
        r.LayerNormModulate(rx, T(shift, d), T(scale, d), rh, 1e-6f);
        r.Linear(rh, r.PrepareLinear(w1, b1, d, hidden), ru);
        r.Gelu(ru, ru);
        r.Linear(ru, r.PrepareLinear(w2, b2, hidden, d), rv);
        r.GatedResidualAdd(rx, T(gate, d), rv);
        var want = new float[t * d];
        r.Download(rx, want);

        using var dev = OpenEmulated();
        using var mx = Upload(dev, x);
        using var msh = Upload(dev, shift);
        using var msc = Upload(dev, scale);
        using var mg = Upload(dev, gate);
        using var mw1 = dev.Allocate((long)d * hidden * 2);
        dev.Upload<ushort>(mw1, 0, Bf16.PackTransposed(w1, d, hidden));
        using var mb1 = Upload(dev, b1);
        using var mw2 = Upload(dev, w2);
        using var mb2 = Upload(dev, b2);
        using var mh = dev.Allocate(t * d * 4);
        using var mu = dev.Allocate(t * hidden * 4);
        using var mv = dev.Allocate(t * d * 4);
        dev.Launch("layernorm_modulate", new Dim3(t / 4), new Dim3(128), 0,
            new LayerNormParams { X = mx.Pointer, Shift = msh.Pointer, Scale = msc.Pointer, Y = mh.Pointer, Rows = t, Cols = d, Eps = 1e-6f });
        dev.Launch("gemm_bf16_tc", new Dim3(hidden / 64, t / 64), new Dim3(128), 0,
            new GemmParams { X = mh.Pointer, Weight = mw1.Pointer, Bias = mb1.Pointer, Y = mu.Pointer, M = t, N = hidden, K = d, Epilogue = GemmParams.EpilogueGelu });
        dev.Launch("gemm_f32", new Dim3(d / 64, t / 64), new Dim3(256), 0,
            new GemmParams { X = mu.Pointer, Weight = mw2.Pointer, Bias = mb2.Pointer, Y = mv.Pointer, M = t, N = d, K = hidden });
        dev.Launch("gated_residual", new Dim3(64), new Dim3(256), 0,
            new GatedResidualParams { X = mx.Pointer, Gate = mg.Pointer, Y = mv.Pointer, Rows = t, Cols = d });
        dev.Synchronize();
        var got = new float[t * d];
        dev.Download<float>(mx, 0, got);

        // One bf16 GEMM in the chain: bf16 tolerance relative to the residual stream's scale.
        TensorAssert.Close(want, got, 1e-2 * TensorAssert.Rms(want), 1e-2, "adaLN MLP half-block on the emulated device");
        Assert.True(TensorAssert.Rms(want.Zip(x, (a, b) => a - b).ToArray()) > 0.1, "the block must move x for the test to mean anything");
    }

    [Fact]
    public void The_driver_device_fails_to_open_with_the_cause_when_there_is_no_gpu()
    {
        RepositoryPaths.UseNvrtc();
        if (CudaLibraries.DriverHandle() == 0)
        {
            var e = Assert.Throws<CudaException>(() => DriverDevice.Open(0, RepositoryPaths.Kernels));
            Assert.Contains("no NVIDIA driver installed", e.Message, StringComparison.Ordinal);
            return;
        }
        try
        {
            using var device = DriverDevice.Open(0, RepositoryPaths.Kernels);
            Assert.StartsWith("sm_", device.Info.Architecture, StringComparison.Ordinal);
            Assert.True(CudaDriver.DeviceCount() >= 1);
        }
        catch (CudaException e)
        {
            Assert.Contains("CUDA_ERROR_", e.Message, StringComparison.Ordinal);
        }
    }

    private static DeviceMemory Upload(ICudaDevice device, float[] values)
    {
        var m = device.Allocate(values.Length * 4L);
        device.Upload<float>(m, 0, values);
        return m;
    }
}
