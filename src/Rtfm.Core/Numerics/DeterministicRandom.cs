// Seeded random numbers that are the same on every node: xoshiro256** seeded through
// SplitMix64, uniform doubles from the top 53 bits, Gaussians by Box-Muller over
// DeterministicMath (no libm). Not for cryptography.
namespace Rtfm.Core.Numerics;

public sealed class DeterministicRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spareGaussian;
    private bool _hasSpare;

    public DeterministicRandom(ulong seed) => Reset(seed);

    /// <summary>Restarts the stream as if newly constructed with <paramref name="seed"/> (no allocation).</summary>
    public void Reset(ulong seed)
    {
        _hasSpare = false;
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>Derives an independent stream from a seed and a label (e.g. a frame index).</summary>
    public static DeterministicRandom ForStream(ulong seed, ulong stream)
    {
        ulong x = seed ^ (stream * 0x9E3779B97F4A7C15UL);
        return new DeterministicRandom(SplitMix64(ref x) ^ stream);
    }

    public static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / 9007199254740992.0);

    /// <summary>Uniform in [lo, hi).</summary>
    public double NextDouble(double lo, double hi) => lo + (hi - lo) * NextDouble();

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        return (int)((NextUInt64() >> 33) % (ulong)n);
    }

    /// <summary>Standard normal sample.</summary>
    public double NextGaussian()
    {
        if (_hasSpare) { _hasSpare = false; return _spareGaussian; }
        double u1 = 1.0 - NextDouble(); // (0, 1]
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * DeterministicMath.Log(u1));
        var (c, s) = DeterministicMath.CosSinTurns(u2);
        _spareGaussian = r * s;
        _hasSpare = true;
        return r * c;
    }

    /// <summary>Fills <paramref name="dst"/> with standard normal samples as floats.</summary>
    public void FillGaussian(Span<float> dst)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = (float)NextGaussian();
    }
}
