// Whole-image filters for the evaluation's baselines: a separable Gaussian blur (the "blurred
// nearest frame", which tells a sharp model apart from one that wins PSNR by blurring) and the
// pixelwise mean of several frames.
namespace Rtfm.Core.Imaging;

public static class ImageFilters
{
    /// <summary>
    /// Normalised 1-D Gaussian taps exp(−i²/2σ²) for i = −radius … radius (2·radius + 1 values, sum 1).
    /// </summary>
    public static double[] GaussianKernel(double sigma, int radius)
    {
        if (!(sigma > 0) || double.IsInfinity(sigma)) throw new ArgumentOutOfRangeException(nameof(sigma), $"sigma {sigma} must be positive and finite");
        if (radius < 0) throw new ArgumentOutOfRangeException(nameof(radius), $"radius {radius} must be >= 0");
        var k = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) sum += k[i + radius] = Math.Exp(-(double)i * i / (2 * sigma * sigma));
        for (int i = 0; i < k.Length; i++) k[i] /= sum;
        return k;
    }

    /// <summary>
    /// Gaussian blur with standard deviation <paramref name="sigma"/> pixels (taps out to 3σ),
    /// separable, edges clamped (a pixel outside the image takes the nearest edge pixel's value),
    /// so a flat image stays flat.
    /// </summary>
    public static RgbImage GaussianBlur(RgbImage image, double sigma)
    {
        ArgumentNullException.ThrowIfNull(image);
        var k = GaussianKernel(sigma, (int)Math.Ceiling(3 * sigma));
        int r = k.Length / 2, w = image.Width, h = image.Height, c = RgbImage.Channels;
        var src = image.Pixels;
        var tmp = new double[src.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < c; ch++)
                {
                    double s = 0;
                    for (int i = -r; i <= r; i++) s += k[i + r] * src[(y * w + Math.Clamp(x + i, 0, w - 1)) * c + ch];
                    tmp[(y * w + x) * c + ch] = s;
                }
        var result = new RgbImage(w, h);
        var dst = result.Pixels;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < c; ch++)
                {
                    double s = 0;
                    for (int i = -r; i <= r; i++) s += k[i + r] * tmp[(Math.Clamp(y + i, 0, h - 1) * w + x) * c + ch];
                    dst[(y * w + x) * c + ch] = (float)s;
                }
        return result;
    }

    /// <summary>The pixelwise mean of one or more frames of the same size.</summary>
    public static RgbImage Mean(IReadOnlyList<RgbImage> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0) throw new ArgumentException("the mean of no frames is undefined", nameof(frames));
        var first = frames[0];
        var sum = new double[first.Pixels.Length];
        foreach (var f in frames)
        {
            ArgumentNullException.ThrowIfNull(f, nameof(frames));
            if (f.Width != first.Width || f.Height != first.Height)
                throw new ArgumentException($"frame sizes differ: {first.Width}x{first.Height} vs {f.Width}x{f.Height}", nameof(frames));
            for (int i = 0; i < sum.Length; i++) sum[i] += f.Pixels[i];
        }
        var result = new RgbImage(first.Width, first.Height);
        for (int i = 0; i < sum.Length; i++) result.Pixels[i] = (float)(sum[i] / frames.Count);
        return result;
    }
}
