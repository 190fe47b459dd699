// Sinusoidal embedding of the diffusion time t in [0, 1]: half cosines, half sines of
// 1000·t·f_i with f_i = 10000^(-i/half). Computed with DeterministicMath so every node gets
// the same bits.
using Rtfm.Core.Numerics;

namespace Rtfm.Model;

public static class TimeEmbedding
{
    public static void Compute(float t, Span<float> destination)
    {
        int half = destination.Length / 2;
        for (int i = 0; i < half; i++)
        {
            double freq = DeterministicMath.Exp(-Math.Log(10000.0) * i / half);
            var (c, s) = DeterministicMath.CosSin(1000.0 * t * freq);
            destination[i] = (float)c;
            destination[half + i] = (float)s;
        }
    }
}
