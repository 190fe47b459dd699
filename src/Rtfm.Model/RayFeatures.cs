// Fourier features of each patch's mean Plücker ray (docs/model.md, "Tokens"): with F > 0 a
// token also carries sin(2^k · r) and cos(2^k · r), k < F, of the 6 components of r. Their dot
// products form a shift-invariant kernel of the ray difference, peaked at equal rays, so
// attention can tell an exact revisit of a pose from a near one with one linear layer (raw
// Plücker values cannot: their dot product grows with the moment's length). The features
// depend on the pose only, so they are computed once per frame, on the host, with
// DeterministicMath so every node gets the same bits.
using Rtfm.Core.Numerics;

namespace Rtfm.Model;

public static class RayFeatures
{
    /// <summary>
    /// rays (H, W, 6) -> features (T, 12 F): per patch in raster order, sin(2^k · r_j) at
    /// [k·6 + j], then cos(2^k · r_j) at [6F + k·6 + j], r the mean ray of the patch's pixels.
    /// </summary>
    public static void Compute(ReadOnlySpan<float> rays, int height, int width, int patch, int frequencies, Span<float> features)
    {
        if (frequencies <= 0) throw new ArgumentOutOfRangeException(nameof(frequencies), $"ray frequencies {frequencies} must be positive");
        if (patch <= 0 || height % patch != 0 || width % patch != 0)
            throw new ArgumentException($"patch {patch} must divide the image size {width}x{height}", nameof(patch));
        if (rays.Length != height * width * 6)
            throw new ArgumentException($"rays have {rays.Length} values, expected {height}x{width}x6", nameof(rays));
        int tokens = height / patch * (width / patch), stride = 12 * frequencies;
        if (features.Length != tokens * stride)
            throw new ArgumentException($"features have {features.Length} values, expected {tokens}x{stride}", nameof(features));

        Span<double> sum = stackalloc double[6];
        int token = 0;
        for (int py = 0; py < height / patch; py++)
            for (int px = 0; px < width / patch; px++, token++)
            {
                sum.Clear();
                for (int y = py * patch; y < (py + 1) * patch; y++)
                    for (int x = px * patch; x < (px + 1) * patch; x++)
                        for (int j = 0; j < 6; j++) sum[j] += rays[(y * width + x) * 6 + j];
                var row = features.Slice(token * stride, stride);
                for (int j = 0; j < 6; j++)
                {
                    float r = (float)(sum[j] / (patch * patch));
                    for (int k = 0; k < frequencies; k++)
                    {
                        float a = (1 << k) * r; // exact: a power-of-two scale
                        var (cos, sin) = DeterministicMath.CosSin(a);
                        row[k * 6 + j] = (float)sin;
                        row[6 * frequencies + k * 6 + j] = (float)cos;
                    }
                }
            }
    }
}
