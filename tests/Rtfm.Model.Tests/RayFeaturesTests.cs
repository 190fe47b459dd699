// RayFeatures against a plain formula: structured rays (a distinct constant per patch and
// component, so a layout bug shows) and random rays (the mean over the patch), plus bad input.
using Rtfm.Core.Numerics;

namespace Rtfm.Model.Tests;

public sealed class RayFeaturesTests
{
    [Fact]
    public void Features_are_sin_then_cos_of_power_of_two_multiples_of_each_patch_mean_ray()
    {
        const int h = 8, w = 12, p = 4, f = 3;
        var rng = new DeterministicRandom(17);
        var rays = new float[h * w * 6];
        for (int i = 0; i < rays.Length; i++) rays[i] = (float)(rng.NextDouble() * 6 - 3);
        int tokens = h / p * (w / p);
        var got = new float[tokens * 12 * f];
        RayFeatures.Compute(rays, h, w, p, f, got);

        for (int t = 0; t < tokens; t++)
        {
            int py = t / (w / p), px = t % (w / p);
            for (int j = 0; j < 6; j++)
            {
                double sum = 0;
                for (int y = py * p; y < (py + 1) * p; y++)
                    for (int x = px * p; x < (px + 1) * p; x++) sum += rays[(y * w + x) * 6 + j];
                float mean = (float)(sum / (p * p));
                for (int k = 0; k < f; k++)
                {
                    double a = Math.Pow(2, k) * mean;
                    Assert.True(Math.Abs(Math.Sin(a) - got[t * 12 * f + k * 6 + j]) < 1e-6, $"token {t} component {j} k {k}: sin");
                    Assert.True(Math.Abs(Math.Cos(a) - got[t * 12 * f + 6 * f + k * 6 + j]) < 1e-6, $"token {t} component {j} k {k}: cos");
                }
            }
        }
    }

    [Fact]
    public void Constant_patches_give_exactly_their_ray_and_equal_rays_give_equal_features()
    {
        const int h = 4, w = 4, p = 2, f = 2;
        var rays = new float[h * w * 6];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int j = 0; j < 6; j++) rays[(y * w + x) * 6 + j] = 0.25f * (y / p * 2 + x / p) + 0.5f * j; // per patch + component
        var got = new float[4 * 12 * f];
        RayFeatures.Compute(rays, h, w, p, f, got);
        // Token 3 (bottom right), component 5, k = 1: sin(2 * (0.75 + 2.5)).
        Assert.Equal((float)Math.Sin(2 * 3.25), got[3 * 24 + 1 * 6 + 5], 6);
        Assert.Equal((float)Math.Cos(2 * 3.25), got[3 * 24 + 12 + 1 * 6 + 5], 6);
        var again = new float[got.Length];
        RayFeatures.Compute(rays, h, w, p, f, again);
        Assert.Equal(got, again);
    }

    [Fact]
    public void Bad_shapes_are_refused_with_what_was_expected()
    {
        var ex = Assert.Throws<ArgumentException>(() => RayFeatures.Compute(new float[10], 4, 4, 2, 1, new float[48]));
        Assert.Contains("4x4x6", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => RayFeatures.Compute(new float[96], 4, 4, 2, 0, new float[0]));
        Assert.Throws<ArgumentException>(() => RayFeatures.Compute(new float[96], 4, 4, 3, 1, new float[48]));
    }
}
