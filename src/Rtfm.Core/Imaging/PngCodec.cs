// Minimal PNG codec: writes 8-bit RGB (filter 0 rows, zlib via System.IO.Compression) and reads
// non-interlaced 8-bit RGB/RGBA/grey PNGs with any row filter. Enough for frames and contact
// sheets; not a general image library.
using System.Buffers.Binary;
using System.IO.Compression;

namespace Rtfm.Core.Imaging;

public static class PngCodec
{
    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Largest image side accepted by <see cref="Decode"/> (guards against hostile headers).</summary>
    public const int MaxSide = 16384;

    public static void Write(RgbImage image, string path)
    {
        using var fs = File.Create(path);
        Write(image, fs);
    }

    public static void Write(RgbImage image, Stream output)
    {
        byte[] rgb = image.ToRgb8();
        output.Write(Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], image.Height);
        ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
        WriteChunk(output, "IHDR"u8, ihdr);

        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            int stride = image.Width * 3;
            for (int y = 0; y < image.Height; y++)
            {
                z.WriteByte(0);
                z.Write(rgb, y * stride, stride);
            }
        }
        WriteChunk(output, "IDAT"u8, raw.ToArray());
        WriteChunk(output, "IEND"u8, ReadOnlySpan<byte>.Empty);
    }

    private static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        output.Write(len);
        output.Write(type);
        output.Write(data);
        Span<byte> c = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(c, ChunkCrc(type, data));
        output.Write(c);
    }

    /// <summary>Decodes a PNG. Throws <see cref="InvalidDataException"/> with the reason on anything it cannot read.</summary>
    public static RgbImage Decode(ReadOnlySpan<byte> png)
    {
        if (png.Length < 8 || !png[..8].SequenceEqual(Signature)) throw new InvalidDataException("not a PNG file (bad signature)");
        int pos = 8, width = 0, height = 0, colorType = -1, channels = 0;
        using var idat = new MemoryStream();
        bool sawEnd = false;
        while (pos + 12 <= png.Length)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png[pos..]);
            if (len < 0 || pos + 12L + len > png.Length) throw new InvalidDataException($"PNG chunk at byte {pos} runs past the end of the file");
            var type = png.Slice(pos + 4, 4);
            var data = png.Slice(pos + 8, len);
            if (ChunkCrc(type, data) != BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 8 + len)..]))
                throw new InvalidDataException($"PNG chunk {System.Text.Encoding.ASCII.GetString(type)} at byte {pos} has a bad CRC");
            if (type.SequenceEqual("IHDR"u8))
            {
                if (len != 13) throw new InvalidDataException("PNG IHDR has the wrong length");
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                int bitDepth = data[8];
                colorType = data[9];
                if (data[12] != 0) throw new InvalidDataException("interlaced PNGs are not supported");
                if (bitDepth != 8) throw new InvalidDataException($"PNG bit depth {bitDepth} is not supported (8 only)");
                channels = colorType switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, _ => throw new InvalidDataException($"PNG colour type {colorType} is not supported") };
                if (width <= 0 || height <= 0 || width > MaxSide || height > MaxSide) throw new InvalidDataException($"PNG size {width}x{height} is out of range (1..{MaxSide})");
            }
            else if (type.SequenceEqual("IDAT"u8)) idat.Write(data);
            else if (type.SequenceEqual("IEND"u8)) { sawEnd = true; break; }
            pos += 12 + len;
        }
        if (width == 0) throw new InvalidDataException("PNG has no IHDR chunk");
        if (!sawEnd) throw new InvalidDataException("PNG is truncated (no IEND chunk)");
        int stride = width * channels;
        var raw = new byte[(long)(stride + 1) * height];
        idat.Position = 0;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            int read = 0;
            while (read < raw.Length)
            {
                int n = z.Read(raw, read, raw.Length - read);
                if (n == 0) throw new InvalidDataException("PNG image data is shorter than its size says");
                read += n;
            }
        }
        catch (InvalidDataException) { throw; }
        catch (Exception ex) { throw new InvalidDataException($"PNG image data is corrupt: {ex.Message}", ex); }

        var img = new RgbImage(width, height);
        var prev = new byte[stride];
        var cur = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (stride + 1)];
            Array.Copy(raw, y * (stride + 1) + 1, cur, 0, stride);
            Unfilter(filter, cur, prev, channels);
            for (int x = 0; x < width; x++)
            {
                var px = img.Pixel(x, y);
                int o = x * channels;
                if (channels >= 3) { px[0] = cur[o] / 255f; px[1] = cur[o + 1] / 255f; px[2] = cur[o + 2] / 255f; }
                else { px[0] = px[1] = px[2] = cur[o] / 255f; }
            }
            (prev, cur) = (cur, prev);
        }
        return img;
    }

    private static readonly uint[] CrcTable = BuildCrcTable();

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    private static uint ChunkCrc(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in type) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        foreach (byte b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }

    private static void Unfilter(int filter, byte[] cur, byte[] prev, int bpp)
    {
        switch (filter)
        {
            case 0: return;
            case 1: for (int i = bpp; i < cur.Length; i++) cur[i] += cur[i - bpp]; return;
            case 2: for (int i = 0; i < cur.Length; i++) cur[i] += prev[i]; return;
            case 3: for (int i = 0; i < cur.Length; i++) cur[i] += (byte)(((i >= bpp ? cur[i - bpp] : 0) + prev[i]) >> 1); return;
            case 4:
                for (int i = 0; i < cur.Length; i++)
                {
                    int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    cur[i] += (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
                return;
            default: throw new InvalidDataException($"PNG row filter {filter} is invalid");
        }
    }
}
