// A decorator that times every op of another backend (the benchmark's per-op table). For a
// device backend the wrapped ops must be synchronous for the times to mean anything; the CPU
// engine's are.
using System.Diagnostics;
using Rtfm.Core.Geometry;

namespace Rtfm.Compute.Diagnostics;

public sealed class ProfilingBackend(IComputeBackend inner) : IComputeBackend
{
    private readonly Dictionary<string, OpTiming> _timings = new(StringComparer.Ordinal);

    public IComputeBackend Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public string Name => Inner.Name;

    public OpCounters Counters => Inner.Counters;

    /// <summary>Per op name: calls and total seconds since the last reset.</summary>
    public IReadOnlyDictionary<string, OpTiming> Timings => _timings;

    public void ResetTimings() => _timings.Clear();

    private void Record(string op, long start)
    {
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        _timings[op] = _timings.TryGetValue(op, out var t) ? new OpTiming(t.Calls + 1, t.Seconds + seconds) : new OpTiming(1, seconds);
    }

    public Tensor Allocate(params int[] shape) => Inner.Allocate(shape);

    public void Synchronize() => Inner.Synchronize();

    public void Upload(Tensor destination, ReadOnlySpan<float> source)
    {
        long s = Stopwatch.GetTimestamp();
        Inner.Upload(destination, source);
        Record("upload", s);
    }

    public void Download(Tensor source, Span<float> destination)
    {
        long s = Stopwatch.GetTimestamp();
        Inner.Download(source, destination);
        Record("download", s);
    }

    public LinearWeight PrepareLinear(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int inFeatures, int outFeatures) =>
        Inner.PrepareLinear(weight, bias, inFeatures, outFeatures);

    public void Linear(Tensor x, LinearWeight weight, Tensor y)
    {
        long s = Stopwatch.GetTimestamp();
        Inner.Linear(x, weight, y);
        Record("linear (gemm)", s);
    }

    public void Attention(Tensor queries, ReadOnlySpan<KvBlockView> context, Tensor selfKeys, Tensor selfValues, Tensor output, int heads)
    {
        long s = Stopwatch.GetTimestamp();
        Inner.Attention(queries, context, selfKeys, selfValues, output, heads);
        Record("attention", s);
    }

    public void LayerNormModulate(Tensor x, Tensor shift, Tensor scale, Tensor y, float eps)
    {
        long s = Stopwatch.GetTimestamp();
        Inner.LayerNormModulate(x, shift, scale, y, eps);
        Record("layernorm+adaLN", s);
    }

    public void Gelu(Tensor x, Tensor y)
    {
        long s = Stopwatch.GetTimestamp();
        Inner.Gelu(x, y);
        Record("gelu", s);
    }

    public void GatedResidualAdd(Tensor x, Tensor gate, Tensor y)
    {
        long s = Stopwatch.GetTimestamp();
        Inner.GatedResidualAdd(x, gate, y);
        Record("gated residual", s);
    }

    public void PluckerRays(in Pose pose, in Intrinsics intrinsics, Tensor rays)
    {
        long s = Stopwatch.GetTimestamp();
        Inner.PluckerRays(pose, intrinsics, rays);
        Record("plucker rays", s);
    }

    public void PatchifyWithRays(Tensor image, Tensor rays, int patch, Tensor tokens)
    {
        long s = Stopwatch.GetTimestamp();
        Inner.PatchifyWithRays(image, rays, patch, tokens);
        Record("patchify", s);
    }

    public void Unpatchify(Tensor patches, int patch, Tensor image)
    {
        long s = Stopwatch.GetTimestamp();
        Inner.Unpatchify(patches, patch, image);
        Record("unpatchify", s);
    }

    public void SamplerStep(Tensor x, Tensor xPred, float t, float tNext)
    {
        long s = Stopwatch.GetTimestamp();
        Inner.SamplerStep(x, xPred, t, tNext);
        Record("sampler step", s);
    }

    public void Copy(Tensor source, Tensor destination)
    {
        long s = Stopwatch.GetTimestamp();
        Inner.Copy(source, destination);
        Record("copy", s);
    }

    public void Dispose() => Inner.Dispose();
}

public readonly record struct OpTiming(long Calls, double Seconds);
