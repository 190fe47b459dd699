// Image quality metrics used by the demo and the evaluation: PSNR on [0, 1] images.
namespace Rtfm.Core.Imaging;

public static class ImageMetrics
{
    /// <summary>Peak signal-to-noise ratio in dB for images in [0, 1]; +inf when identical.</summary>
    public static double Psnr(RgbImage a, RgbImage b)
    {
        if (a.Width != b.Width || a.Height != b.Height) throw new ArgumentException($"image sizes differ: {a.Width}x{a.Height} vs {b.Width}x{b.Height}");
        double se = 0;
        for (int i = 0; i < a.Pixels.Length; i++)
        {
            double d = Math.Clamp(a.Pixels[i], 0f, 1f) - (double)Math.Clamp(b.Pixels[i], 0f, 1f);
            se += d * d;
        }
        double mse = se / a.Pixels.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(1.0 / mse);
    }
}
