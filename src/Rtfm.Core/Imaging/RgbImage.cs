// An RGB image of floats in [0, 1], laid out (H, W, 3) row-major; the frame type of the project.
namespace Rtfm.Core.Imaging;

public sealed class RgbImage
{
    public const int Channels = 3;

    public RgbImage(int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        Width = width;
        Height = height;
        Pixels = new float[width * height * Channels];
    }

    public RgbImage(int width, int height, float[] pixels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != width * height * Channels)
            throw new ArgumentException($"pixel buffer has {pixels.Length} floats, expected {width}x{height}x3 = {width * height * Channels}", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>(H, W, 3) row-major, values nominally in [0, 1].</summary>
    public float[] Pixels { get; }

    public Span<float> Pixel(int x, int y) => Pixels.AsSpan((y * Width + x) * Channels, Channels);

    /// <summary>Uniform noise in [0, 1) from a seed (DeterministicRandom): synthetic inputs for warm-ups, benchmarks and tests.</summary>
    public static RgbImage Noise(int width, int height, ulong seed)
    {
        var img = new RgbImage(width, height);
        var rng = new Numerics.DeterministicRandom(seed);
        for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (float)rng.NextDouble();
        return img;
    }

    public RgbImage Clone() => new(Width, Height, (float[])Pixels.Clone());

    /// <summary>Copies <paramref name="source"/> into this image at (x0, y0), clipping at the edges.</summary>
    public void Blit(RgbImage source, int x0, int y0)
    {
        for (int y = 0; y < source.Height; y++)
        {
            int ty = y0 + y;
            if (ty < 0 || ty >= Height) continue;
            for (int x = 0; x < source.Width; x++)
            {
                int tx = x0 + x;
                if (tx < 0 || tx >= Width) continue;
                source.Pixel(x, y).CopyTo(Pixel(tx, ty));
            }
        }
    }

    /// <summary>Nearest-neighbour upscale by an integer factor (for contact sheets of tiny frames).</summary>
    public RgbImage Upscale(int factor)
    {
        if (factor < 1) throw new ArgumentOutOfRangeException(nameof(factor));
        var result = new RgbImage(Width * factor, Height * factor);
        for (int y = 0; y < result.Height; y++)
            for (int x = 0; x < result.Width; x++)
                Pixel(x / factor, y / factor).CopyTo(result.Pixel(x, y));
        return result;
    }

    /// <summary>Converts to 8-bit RGB, clamping to [0, 1] and rounding to nearest.</summary>
    public byte[] ToRgb8()
    {
        var bytes = new byte[Pixels.Length];
        for (int i = 0; i < Pixels.Length; i++)
        {
            float v = Pixels[i];
            v = float.IsNaN(v) ? 0f : Math.Clamp(v, 0f, 1f);
            bytes[i] = (byte)(v * 255f + 0.5f);
        }
        return bytes;
    }

    public static RgbImage FromRgb8(int width, int height, ReadOnlySpan<byte> rgb)
    {
        var img = new RgbImage(width, height);
        if (rgb.Length != img.Pixels.Length) throw new ArgumentException($"RGB8 buffer has {rgb.Length} bytes, expected {img.Pixels.Length}", nameof(rgb));
        for (int i = 0; i < rgb.Length; i++) img.Pixels[i] = rgb[i] / 255f;
        return img;
    }
}
