// SSIM, sharpness, Gaussian blur and frame means against values worked out by hand: flat
// images, ramps, step edges, a checkerboard (whose every SSIM window has the same statistics),
// impulses; plus identities on seeded random frames.
using Rtfm.Core.Imaging;
using Rtfm.Core.Numerics;

namespace Rtfm.Core.Tests;

public sealed class ImageMetricsTests
{
    private static RgbImage Random(int w, int h, ulong seed)
    {
        var rng = new DeterministicRandom(seed);
        var img = new RgbImage(w, h);
        for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (float)rng.NextDouble();
        return img;
    }

    private static RgbImage Grey(int w, int h, Func<int, int, double> value)
    {
        var img = new RgbImage(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                img.Pixel(x, y).Fill((float)value(x, y));
        return img;
    }

    private static RgbImage WithNoise(RgbImage image, double amplitude, ulong seed)
    {
        var rng = new DeterministicRandom(seed);
        var result = image.Clone();
        for (int i = 0; i < result.Pixels.Length; i++) result.Pixels[i] += (float)(amplitude * rng.NextGaussian());
        return result;
    }

    [Fact]
    public void Ssim_of_an_image_with_itself_is_1()
    {
        for (ulong seed = 1; seed <= 3; seed++)
        {
            var a = Random(32, 24, seed);
            Assert.True(Math.Abs(ImageMetrics.Ssim(a, a) - 1) < 1e-12, $"seed {seed}: SSIM(x, x) = {ImageMetrics.Ssim(a, a):R}");
        }
    }

    [Fact]
    public void Ssim_of_two_flat_images_is_the_luminance_term()
    {
        // No variance anywhere: the contrast-structure factor is C2 / C2 = 1.
        var a = Grey(16, 16, (_, _) => 0.5);
        var b = Grey(16, 16, (_, _) => 0.625); // exact in f32, like 0.5
        double c1 = 0.0001;
        double expected = (2 * 0.5 * 0.625 + c1) / (0.25 + 0.390625 + c1); // 0.975614
        Assert.True(Math.Abs(ImageMetrics.Ssim(a, b) - expected) < 1e-9, $"SSIM {ImageMetrics.Ssim(a, b):R}, expected {expected:R}");
    }

    [Fact]
    public void Ssim_of_a_checkerboard_and_its_inverse_matches_the_hand_computation()
    {
        // s = (−1)^(x+y), a = 0.5 + d·s, b = 0.5 − d·s. With a separable window g (11 taps,
        // sigma 1.5) and A = Σ gᵢ(−1)ⁱ, every window has mean(s) = ±A², var(s) = 1 − A⁴, so
        // μa = 0.5 + dm, μb = 0.5 − dm, σa² = σb² = d²v, σab = −d²v with m² = A⁴, v = 1 − A⁴.
        const double d = 0.2, c1 = 0.0001, c2 = 0.0009;
        double alt = 0, norm = 0;
        for (int i = -5; i <= 5; i++)
        {
            double g = Math.Exp(-i * i / (2 * 1.5 * 1.5));
            norm += g;
            alt += (i % 2 == 0 ? 1 : -1) * g;
        }
        alt /= norm;
        double m2 = Math.Pow(alt, 4), v = 1 - m2;
        double expected = (2 * (0.25 - d * d * m2) + c1) * (-2 * d * d * v + c2) / ((0.5 + 2 * d * d * m2 + c1) * (2 * d * d * v + c2));
        var a = Grey(20, 17, (x, y) => 0.5 + d * ((x + y) % 2 == 0 ? 1 : -1));
        var b = Grey(20, 17, (x, y) => 0.5 - d * ((x + y) % 2 == 0 ? 1 : -1));
        double got = ImageMetrics.Ssim(a, b);
        Assert.True(Math.Abs(got - expected) < 1e-6, $"SSIM {got:R}, expected {expected:R}");
        Assert.True(got < -0.9, $"an inverted pattern is anti-correlated: SSIM {got}");
    }

    [Fact]
    public void Ssim_is_symmetric_and_falls_as_noise_grows()
    {
        var a = Grey(40, 40, (x, y) => 0.5 + 0.3 * Math.Sin(x * 0.4) * Math.Cos(y * 0.3));
        double previous = 1;
        foreach (double noise in new[] { 0.01, 0.05, 0.1, 0.2 })
        {
            var b = WithNoise(a, noise, 11);
            double ab = ImageMetrics.Ssim(a, b), ba = ImageMetrics.Ssim(b, a);
            Assert.Equal(ab, ba);
            Assert.True(ab < previous, $"noise {noise}: SSIM {ab} should be below {previous}");
            previous = ab;
        }
        Assert.Throws<ArgumentException>(() => ImageMetrics.Ssim(new RgbImage(10, 10), new RgbImage(10, 10)));
        Assert.Throws<ArgumentException>(() => ImageMetrics.Ssim(new RgbImage(12, 12), new RgbImage(12, 13)));
    }

    [Fact]
    public void Sharpness_of_flat_ramp_edge_and_plane_images()
    {
        Assert.Equal(0, ImageMetrics.Sharpness(Grey(9, 7, (_, _) => 0.42)));
        // Grey pixels: the Rec. 601 weights sum to 1, so luminance is the grey value.
        Assert.True(Math.Abs(ImageMetrics.Sharpness(Grey(9, 7, (x, _) => 0.05 * x)) - 0.05) < 1e-7, "ramp of 0.05 per pixel");
        // A vertical edge 0.2 -> 0.7 between columns 3 and 4 of an 8x5 image: 4 of the 7x4 pixels see 0.5.
        double edge = ImageMetrics.Sharpness(Grey(8, 5, (x, _) => x < 4 ? 0.2 : 0.7));
        Assert.True(Math.Abs(edge - 0.5 * 4 / 28) < 1e-7, $"edge sharpness {edge}, expected 1/14");
        // A plane rising 0.03 right and 0.04 down: |gradient| = 0.05 everywhere.
        double plane = ImageMetrics.Sharpness(Grey(10, 10, (x, y) => 0.03 * x + 0.04 * y));
        Assert.True(Math.Abs(plane - 0.05) < 1e-6, $"plane sharpness {plane}");
        // Colour: a pure red ramp is weighted by 0.299.
        var red = new RgbImage(6, 6);
        for (int y = 0; y < 6; y++) for (int x = 0; x < 6; x++) red.Pixel(x, y)[0] = 0.1f * x;
        Assert.True(Math.Abs(ImageMetrics.Sharpness(red) - 0.0299) < 1e-7);
    }

    [Fact]
    public void Sharpness_ratio_is_1_for_the_same_image_and_below_1_after_a_blur()
    {
        var a = Random(32, 32, 5);
        Assert.Equal(1.0, ImageMetrics.SharpnessRatio(a, a));
        double previous = 1;
        foreach (double sigma in new[] { 0.5, 1.0, 2.0 })
        {
            double r = ImageMetrics.SharpnessRatio(ImageFilters.GaussianBlur(a, sigma), a);
            Assert.True(r < previous, $"sigma {sigma}: ratio {r} should be below {previous}");
            previous = r;
        }
    }

    [Fact]
    public void Gaussian_kernel_is_normalised_and_symmetric()
    {
        var k = ImageFilters.GaussianKernel(1.0, 1);
        double e = Math.Exp(-0.5);
        Assert.Equal(1 / (1 + 2 * e), k[1], 12);
        Assert.Equal(e / (1 + 2 * e), k[0], 12);
        Assert.Equal(k[0], k[2]);
        var k15 = ImageFilters.GaussianKernel(1.5, 5);
        Assert.Equal(11, k15.Length);
        Assert.Equal(1.0, k15.Sum(), 12);
        for (int i = 0; i < 5; i++) Assert.Equal(k15[i], k15[10 - i]);
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageFilters.GaussianKernel(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageFilters.GaussianKernel(1, -1));
    }

    [Fact]
    public void Blur_spreads_an_impulse_by_the_kernel_and_keeps_flat_images_flat()
    {
        var flat = Grey(12, 9, (_, _) => 0.37);
        var blurredFlat = ImageFilters.GaussianBlur(flat, 1.5);
        Assert.All(blurredFlat.Pixels, p => Assert.True(Math.Abs(p - 0.37f) < 1e-6f, $"flat pixel became {p}"));

        var impulse = new RgbImage(21, 21);
        impulse.Pixel(10, 10)[1] = 1f;
        var b = ImageFilters.GaussianBlur(impulse, 1.0);
        var k = ImageFilters.GaussianKernel(1.0, 3);
        Assert.Equal(k[3] * k[3], b.Pixel(10, 10)[1], 6);
        Assert.Equal(k[3] * k[4], b.Pixel(11, 10)[1], 6);
        Assert.Equal(k[5] * k[1], b.Pixel(12, 8)[1], 6);
        Assert.Equal(0f, b.Pixel(10, 10)[0]); // channels do not mix
        Assert.Equal(0f, b.Pixel(14, 10)[1]); // beyond 3 sigma
        double total = 0;
        for (int y = 0; y < 21; y++) for (int x = 0; x < 21; x++) total += b.Pixel(x, y)[1];
        Assert.Equal(1.0, total, 5);
    }

    [Fact]
    public void Mean_of_frames_is_pixelwise()
    {
        var a = Random(8, 6, 21);
        var inverse = a.Clone();
        for (int i = 0; i < inverse.Pixels.Length; i++) inverse.Pixels[i] = 1 - a.Pixels[i];
        Assert.All(ImageFilters.Mean([a, inverse]).Pixels, p => Assert.True(Math.Abs(p - 0.5f) < 1e-6f, $"mean of x and 1-x is {p}"));
        var m = ImageFilters.Mean([Grey(4, 4, (_, _) => 0.1), Grey(4, 4, (_, _) => 0.2), Grey(4, 4, (_, _) => 0.6)]);
        Assert.All(m.Pixels, p => Assert.True(Math.Abs(p - 0.3f) < 1e-6f, $"mean of 0.1, 0.2, 0.6 is {p}"));
        Assert.Equal(a.Pixels, ImageFilters.Mean([a]).Pixels);
        Assert.Throws<ArgumentException>(() => ImageFilters.Mean([]));
        Assert.Throws<ArgumentException>(() => ImageFilters.Mean([a, new RgbImage(6, 8)]));
    }
}
