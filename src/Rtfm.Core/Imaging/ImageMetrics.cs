// Image quality metrics used by the demo and the evaluation (`rtfm eval`), all on [0, 1] images
// (values are clamped first, like the PNGs people look at):
// - PSNR in dB.
// - SSIM (Wang et al. 2004): 11x11 Gaussian window, sigma 1.5, C1 = 0.01², C2 = 0.03², computed
//   on each RGB channel over the windows that fit inside the image ("valid", as in the
//   reference implementation) and averaged over channels.
// - Sharpness: mean image-gradient magnitude of the luminance, so a blurred frame — which can
//   score a good PSNR — shows up as a low ratio against the ground truth.
namespace Rtfm.Core.Imaging;

public static class ImageMetrics
{
    /// <summary>Side of the SSIM window in pixels.</summary>
    public const int SsimWindow = 11;

    /// <summary>Standard deviation of the SSIM window's Gaussian, in pixels.</summary>
    public const double SsimSigma = 1.5;

    /// <summary>(K1·L)² with K1 = 0.01 and dynamic range L = 1.</summary>
    public const double SsimC1 = 0.01 * 0.01;

    /// <summary>(K2·L)² with K2 = 0.03 and dynamic range L = 1.</summary>
    public const double SsimC2 = 0.03 * 0.03;

    private static readonly double[] SsimKernel = ImageFilters.GaussianKernel(SsimSigma, SsimWindow / 2);

    /// <summary>Peak signal-to-noise ratio in dB for images in [0, 1]; +inf when identical.</summary>
    public static double Psnr(RgbImage a, RgbImage b)
    {
        CheckSameSize(a, b);
        double se = 0;
        for (int i = 0; i < a.Pixels.Length; i++)
        {
            double d = Math.Clamp(a.Pixels[i], 0f, 1f) - (double)Math.Clamp(b.Pixels[i], 0f, 1f);
            se += d * d;
        }
        double mse = se / a.Pixels.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(1.0 / mse);
    }

    /// <summary>
    /// Mean structural similarity in [-1, 1] (1 when identical): per channel, averaged over every
    /// 11x11 window inside the image, then over the three channels. Needs images of at least 11x11.
    /// </summary>
    public static double Ssim(RgbImage a, RgbImage b)
    {
        CheckSameSize(a, b);
        if (a.Width < SsimWindow || a.Height < SsimWindow)
            throw new ArgumentException($"SSIM needs images of at least {SsimWindow}x{SsimWindow}, got {a.Width}x{a.Height}");
        int w = a.Width, h = a.Height, ow = w - SsimWindow + 1, oh = h - SsimWindow + 1;
        var x = new double[w * h];
        var y = new double[w * h];
        double total = 0;
        for (int ch = 0; ch < RgbImage.Channels; ch++)
        {
            for (int i = 0; i < w * h; i++)
            {
                x[i] = Math.Clamp(a.Pixels[i * RgbImage.Channels + ch], 0f, 1f);
                y[i] = Math.Clamp(b.Pixels[i * RgbImage.Channels + ch], 0f, 1f);
            }
            double sum = 0;
            for (int oy = 0; oy < oh; oy++)
            {
                for (int ox = 0; ox < ow; ox++)
                {
                    // Weighted moments over the window whose top-left corner is (ox, oy).
                    double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
                    for (int ky = 0; ky < SsimWindow; ky++)
                    {
                        int row = (oy + ky) * w + ox;
                        for (int kx = 0; kx < SsimWindow; kx++)
                        {
                            double g = SsimKernel[ky] * SsimKernel[kx];
                            double xv = x[row + kx], yv = y[row + kx];
                            mx += g * xv;
                            my += g * yv;
                            sxx += g * xv * xv;
                            syy += g * yv * yv;
                            sxy += g * (xv * yv); // x·y before the weight, so SSIM(a, b) == SSIM(b, a) exactly
                        }
                    }
                    double vx = sxx - mx * mx, vy = syy - my * my, cxy = sxy - mx * my;
                    sum += (2 * mx * my + SsimC1) * (2 * cxy + SsimC2) / ((mx * mx + my * my + SsimC1) * (vx + vy + SsimC2));
                }
            }
            total += sum / (ow * oh);
        }
        return total / RgbImage.Channels;
    }

    /// <summary>
    /// Mean gradient magnitude of the luminance (Rec. 601 weights), with forward differences
    /// over the (W−1)×(H−1) pixels that have a right and a lower neighbour: a ramp rising s per
    /// pixel scores s; a flat image scores 0.
    /// </summary>
    public static double Sharpness(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width < 2 || image.Height < 2) throw new ArgumentException($"sharpness needs images of at least 2x2, got {image.Width}x{image.Height}");
        int w = image.Width, h = image.Height;
        var lum = Luminance(image);
        double sum = 0;
        for (int y = 0; y < h - 1; y++)
        {
            for (int x = 0; x < w - 1; x++)
            {
                double l = lum[y * w + x];
                double gx = lum[y * w + x + 1] - l, gy = lum[(y + 1) * w + x] - l;
                sum += Math.Sqrt(gx * gx + gy * gy);
            }
        }
        return sum / ((w - 1) * (h - 1));
    }

    /// <summary>Sharpness of <paramref name="image"/> over that of <paramref name="reference"/> (1 = as sharp; below 1 = blurrier).</summary>
    public static double SharpnessRatio(RgbImage image, RgbImage reference)
    {
        CheckSameSize(image, reference);
        double r = Sharpness(reference);
        return r == 0 ? (Sharpness(image) == 0 ? 1 : double.PositiveInfinity) : Sharpness(image) / r;
    }

    private static double[] Luminance(RgbImage image)
    {
        var lum = new double[image.Width * image.Height];
        var p = image.Pixels;
        for (int i = 0; i < lum.Length; i++)
            lum[i] = 0.299 * Math.Clamp(p[3 * i], 0f, 1f) + 0.587 * Math.Clamp(p[3 * i + 1], 0f, 1f) + 0.114 * Math.Clamp(p[3 * i + 2], 0f, 1f);
        return lum;
    }

    private static void CheckSameSize(RgbImage a, RgbImage b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Width != b.Width || a.Height != b.Height) throw new ArgumentException($"image sizes differ: {a.Width}x{a.Height} vs {b.Width}x{b.Height}");
    }
}
