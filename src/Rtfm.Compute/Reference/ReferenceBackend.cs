// The plain reference implementation of every op: straight loops, double accumulation, never
// optimised. It defines what each op means; the conformance suite compares every other
// backend against it.
using Rtfm.Compute.Host;
using Rtfm.Core.Geometry;

namespace Rtfm.Compute.Reference;

public sealed class ReferenceBackend : IComputeBackend
{
    public string Name => "reference";

    public OpCounters Counters { get; } = new();

    public Tensor Allocate(params int[] shape) => new HostTensor(shape);

    public void Upload(Tensor destination, ReadOnlySpan<float> source) => HostTensor.Upload(destination, source);

    public void Download(Tensor source, Span<float> destination) => HostTensor.Download(source, destination);

    public LinearWeight PrepareLinear(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int inFeatures, int outFeatures) =>
        new ReferenceLinearWeight(weight, bias, inFeatures, outFeatures);

    public void Linear(Tensor x, LinearWeight weight, Tensor y)
    {
        OpShapes.Linear(x, weight, y);
        var w = (ReferenceLinearWeight)weight;
        var xs = HostTensor.From(x, nameof(x)).Span;
        var ys = HostTensor.From(y, nameof(y)).Span;
        int m = x.Rows, k = w.InFeatures, n = w.OutFeatures;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double acc = w.HasBias ? w.Bias[j] : 0.0;
                for (int p = 0; p < k; p++) acc += (double)xs[i * k + p] * w.Weight[p * n + j];
                ys[i * n + j] = (float)acc;
            }
        }
        Counters.AddLinear(m, k, n);
    }

    public void Attention(Tensor queries, ReadOnlySpan<KvBlockView> context, Tensor selfKeys, Tensor selfValues, Tensor output, int heads)
    {
        var (tq, d, keys) = OpShapes.Attention(queries, context, selfKeys, selfValues, output, heads);
        int dh = d / heads;
        // Gather [context ; self] keys and values: (keys, D).
        var kAll = new float[keys * d];
        var vAll = new float[keys * d];
        int row = 0;
        foreach (var blk in context)
        {
            HostTensor.From(blk.Keys, "context keys").Span.CopyTo(kAll.AsSpan(row * d));
            HostTensor.From(blk.Values, "context values").Span.CopyTo(vAll.AsSpan(row * d));
            row += blk.Keys.Rows;
        }
        HostTensor.From(selfKeys, nameof(selfKeys)).Span.CopyTo(kAll.AsSpan(row * d));
        HostTensor.From(selfValues, nameof(selfValues)).Span.CopyTo(vAll.AsSpan(row * d));

        var q = HostTensor.From(queries, nameof(queries)).Span;
        var o = HostTensor.From(output, nameof(output)).Span;
        double scale = 1.0 / Math.Sqrt(dh);
        var scores = new double[keys];
        for (int h = 0; h < heads; h++)
        {
            for (int i = 0; i < tq; i++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j < keys; j++)
                {
                    double s = 0;
                    for (int c = 0; c < dh; c++) s += (double)q[i * d + h * dh + c] * kAll[j * d + h * dh + c];
                    scores[j] = s * scale;
                    max = Math.Max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < keys; j++) { scores[j] = Math.Exp(scores[j] - max); sum += scores[j]; }
                for (int c = 0; c < dh; c++)
                {
                    double acc = 0;
                    for (int j = 0; j < keys; j++) acc += scores[j] * vAll[j * d + h * dh + c];
                    o[i * d + h * dh + c] = (float)(acc / sum);
                }
            }
        }
        Counters.AddAttention(tq, keys, heads);
    }

    public void LayerNormModulate(Tensor x, Tensor shift, Tensor scale, Tensor y, float eps)
    {
        int d = x.Columns, t = x.Rows;
        OpShapes.Length(shift, d, nameof(shift));
        OpShapes.Length(scale, d, nameof(scale));
        OpShapes.Matrix(y, t, d, nameof(y));
        var xs = HostTensor.From(x, nameof(x)).Span;
        var ys = HostTensor.From(y, nameof(y)).Span;
        var sh = HostTensor.From(shift, nameof(shift)).Span;
        var sc = HostTensor.From(scale, nameof(scale)).Span;
        for (int r = 0; r < t; r++)
        {
            double mean = 0, var = 0;
            for (int c = 0; c < d; c++) mean += xs[r * d + c];
            mean /= d;
            for (int c = 0; c < d; c++) { double z = xs[r * d + c] - mean; var += z * z; }
            var /= d;
            double inv = 1.0 / Math.Sqrt(var + eps);
            for (int c = 0; c < d; c++)
                ys[r * d + c] = (float)((xs[r * d + c] - mean) * inv * (1.0 + sc[c]) + sh[c]);
        }
    }

    public void Gelu(Tensor x, Tensor y)
    {
        OpShapes.Length(y, x.Length, nameof(y));
        var xs = HostTensor.From(x, nameof(x)).Span;
        var ys = HostTensor.From(y, nameof(y)).Span;
        for (int i = 0; i < xs.Length; i++)
        {
            double v = xs[i];
            ys[i] = (float)(0.5 * v * (1.0 + Math.Tanh(Math.Sqrt(2.0 / Math.PI) * (v + 0.044715 * v * v * v))));
        }
    }

    public void GatedResidualAdd(Tensor x, Tensor gate, Tensor y)
    {
        int d = x.Columns;
        OpShapes.Length(gate, d, nameof(gate));
        OpShapes.Matrix(y, x.Rows, d, nameof(y));
        var xs = HostTensor.From(x, nameof(x)).Span;
        var g = HostTensor.From(gate, nameof(gate)).Span;
        var ys = HostTensor.From(y, nameof(y)).Span;
        for (int i = 0; i < xs.Length; i++) xs[i] = (float)(xs[i] + (double)g[i % d] * ys[i]);
    }

    public void PluckerRays(in Pose pose, in Intrinsics intrinsics, Tensor rays) => HostTensor.WritePluckerRays(pose, intrinsics, rays);

    public void PatchifyWithRays(Tensor image, Tensor rays, int patch, Tensor tokens)
    {
        OpShapes.Patchify(image, rays, patch, tokens);
        int w = image.Shape[1], pw = w / patch;
        var img = HostTensor.From(image, nameof(image)).Span;
        var ray = HostTensor.From(rays, nameof(rays)).Span;
        var tok = HostTensor.From(tokens, nameof(tokens)).Span;
        int width = patch * patch * 9;
        for (int t = 0; t < tokens.Rows; t++)
        {
            int py0 = t / pw * patch, px0 = t % pw * patch;
            int o = t * width;
            for (int py = 0; py < patch; py++)
                for (int px = 0; px < patch; px++)
                    for (int c = 0; c < 3; c++)
                        tok[o++] = img[((py0 + py) * w + px0 + px) * 3 + c];
            for (int py = 0; py < patch; py++)
                for (int px = 0; px < patch; px++)
                    for (int c = 0; c < 6; c++)
                        tok[o++] = ray[((py0 + py) * w + px0 + px) * 6 + c];
        }
    }

    public void Unpatchify(Tensor patches, int patch, Tensor image)
    {
        OpShapes.Unpatchify(patches, patch, image);
        int w = image.Shape[1], pw = w / patch;
        var img = HostTensor.From(image, nameof(image)).Span;
        var src = HostTensor.From(patches, nameof(patches)).Span;
        for (int t = 0; t < patches.Rows; t++)
        {
            int py0 = t / pw * patch, px0 = t % pw * patch;
            int o = t * patch * patch * 3;
            for (int py = 0; py < patch; py++)
                for (int px = 0; px < patch; px++)
                    for (int c = 0; c < 3; c++)
                        img[((py0 + py) * w + px0 + px) * 3 + c] = src[o++];
        }
    }

    public void SamplerStep(Tensor x, Tensor xPred, float t, float tNext)
    {
        OpShapes.SamplerStep(x, xPred, t, tNext);
        var xs = HostTensor.From(x, nameof(x)).Span;
        var ps = HostTensor.From(xPred, nameof(xPred)).Span;
        double a = ((double)tNext - t) / (1.0 - t);
        for (int i = 0; i < xs.Length; i++) xs[i] = (float)(xs[i] + a * (ps[i] - (double)xs[i]));
    }

    public void Copy(Tensor source, Tensor destination) => HostTensor.Copy(source, destination);

    public void Dispose()
    {
    }

    private sealed class ReferenceLinearWeight : LinearWeight
    {
        public ReferenceLinearWeight(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int k, int n)
            : base(k, n, !bias.IsEmpty)
        {
            if (k <= 0 || n <= 0) throw new ArgumentOutOfRangeException(nameof(k), $"linear layer {k}x{n} must have positive sizes");
            if (weight.Length != k * n) throw new ArgumentException($"weight has {weight.Length} floats, expected {k}x{n} = {k * n}", nameof(weight));
            if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"bias has {bias.Length} floats, expected {n}", nameof(bias));
            Weight = weight.ToArray();
            Bias = bias.ToArray();
        }

        public float[] Weight { get; }
        public float[] Bias { get; }
    }
}
