// Transcendental functions built only from +, *, / and sqrt in IEEE double, so results are
// identical on every x86-64 node whatever its C runtime (Math.Log/Cos call the platform libm,
// whose last bits may differ between versions). Used where bits must match across nodes:
// the sampler's noise. Accuracy ~1e-15 relative, ample for noise.
namespace Rtfm.Core.Numerics;

public static class DeterministicMath
{
    private const double Ln2 = 0.6931471805599453;

    /// <summary>Natural log for x &gt; 0 (finite, normal).</summary>
    public static double Log(double x)
    {
        if (!(x > 0) || !double.IsFinite(x)) throw new ArgumentOutOfRangeException(nameof(x), $"Log needs a finite positive argument, got {x}");
        long bits = BitConverter.DoubleToInt64Bits(x);
        int exp = (int)((bits >> 52) & 0x7FF);
        if (exp == 0) return Log(x * 4503599627370496.0) - 52 * Ln2; // subnormal: scale by 2^52
        exp -= 1023;
        double m = BitConverter.Int64BitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L); // [1, 2)
        if (m > 1.4142135623730951) { m *= 0.5; exp++; }
        // log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716
        double s = (m - 1) / (m + 1), s2 = s * s, term = s, sum = 0;
        for (int k = 1; k <= 29; k += 2)
        {
            sum += term / k;
            term *= s2;
        }
        return 2 * sum + exp * Ln2;
    }

    /// <summary>e^x for |x| &lt;= 700.</summary>
    public static double Exp(double x)
    {
        if (!(Math.Abs(x) <= 700)) throw new ArgumentOutOfRangeException(nameof(x), $"Exp needs |x| <= 700, got {x}");
        double n = Math.Floor(x / Ln2 + 0.5);
        double r = x - n * Ln2; // |r| <= ln2/2 (+ rounding)
        double term = 1, sum = 1;
        for (int k = 1; k <= 20; k++)
        {
            term *= r / k;
            sum += term;
        }
        // 2^n by exponent bits (n within the normal range for |x| <= 700).
        return sum * BitConverter.Int64BitsToDouble((long)(n + 1023) << 52);
    }

    /// <summary>cos(x) and sin(x) for finite x of moderate size (|x| &lt;= 1e6).</summary>
    public static (double Cos, double Sin) CosSin(double x)
    {
        if (!(Math.Abs(x) <= 1e6)) throw new ArgumentOutOfRangeException(nameof(x), $"CosSin needs |x| <= 1e6, got {x}");
        double turns = x / (2 * Math.PI);
        turns -= Math.Floor(turns);
        return CosSinTurns(turns);
    }

    /// <summary>cos(2 pi u) and sin(2 pi u) for u in [0, 1).</summary>
    public static (double Cos, double Sin) CosSinTurns(double u)
    {
        // Reduce to an octant-free quadrant: angle = 2 pi u = q * pi/2 + r, |r| <= pi/4.
        double quarters = u * 4;
        double q = Math.Floor(quarters + 0.5);
        double r = (quarters - q) * (Math.PI / 2);
        double r2 = r * r;
        // Taylor series to r^18 / r^19: error < 1e-17 for |r| <= pi/4.
        double c = 1, s = r, tc = 1, ts = r;
        for (int k = 1; k <= 9; k++)
        {
            tc *= -r2 / ((2 * k - 1) * (2 * k));
            ts *= -r2 / ((2 * k) * (2 * k + 1));
            c += tc;
            s += ts;
        }
        return ((int)q & 3) switch
        {
            0 => (c, s),
            1 => (-s, c),
            2 => (-c, -s),
            _ => (s, -c),
        };
    }
}
