// A 3x5 bitmap font (digits, capitals, a few signs) for labels on charts and contact sheets,
// so the PNGs explain themselves without an imaging library. Lower case is drawn as capitals.
using Rtfm.Core.Imaging;

namespace Rtfm.Cli.Rendering;

internal static class PixelFont
{
    public const int GlyphWidth = 3, GlyphHeight = 5;

    private static readonly Dictionary<char, string[]> Glyphs = new()
    {
        ['0'] = ["111", "101", "101", "101", "111"], ['1'] = ["010", "110", "010", "010", "111"],
        ['2'] = ["111", "001", "111", "100", "111"], ['3'] = ["111", "001", "111", "001", "111"],
        ['4'] = ["101", "101", "111", "001", "001"], ['5'] = ["111", "100", "111", "001", "111"],
        ['6'] = ["111", "100", "111", "101", "111"], ['7'] = ["111", "001", "001", "001", "001"],
        ['8'] = ["111", "101", "111", "101", "111"], ['9'] = ["111", "101", "111", "001", "111"],
        ['A'] = ["010", "101", "111", "101", "101"], ['B'] = ["110", "101", "110", "101", "110"],
        ['C'] = ["011", "100", "100", "100", "011"], ['D'] = ["110", "101", "101", "101", "110"],
        ['E'] = ["111", "100", "110", "100", "111"], ['F'] = ["111", "100", "110", "100", "100"],
        ['G'] = ["011", "100", "101", "101", "011"], ['H'] = ["101", "101", "111", "101", "101"],
        ['I'] = ["111", "010", "010", "010", "111"], ['J'] = ["001", "001", "001", "101", "010"],
        ['K'] = ["101", "101", "110", "101", "101"], ['L'] = ["100", "100", "100", "100", "111"],
        ['M'] = ["101", "111", "111", "101", "101"], ['N'] = ["110", "101", "101", "101", "101"],
        ['O'] = ["010", "101", "101", "101", "010"], ['P'] = ["110", "101", "110", "100", "100"],
        ['Q'] = ["010", "101", "101", "110", "011"], ['R'] = ["110", "101", "110", "101", "101"],
        ['S'] = ["011", "100", "010", "001", "110"], ['T'] = ["111", "010", "010", "010", "010"],
        ['U'] = ["101", "101", "101", "101", "111"], ['V'] = ["101", "101", "101", "101", "010"],
        ['W'] = ["101", "101", "111", "111", "101"], ['X'] = ["101", "101", "010", "101", "101"],
        ['Y'] = ["101", "101", "010", "010", "010"], ['Z'] = ["111", "001", "010", "100", "111"],
        [' '] = ["000", "000", "000", "000", "000"], ['.'] = ["000", "000", "000", "000", "010"],
        ['-'] = ["000", "000", "111", "000", "000"], ['/'] = ["001", "001", "010", "100", "100"],
        ['('] = ["010", "100", "100", "100", "010"], [')'] = ["010", "001", "001", "001", "010"],
        [':'] = ["000", "010", "000", "010", "000"], ['='] = ["000", "111", "000", "111", "000"],
        ['%'] = ["101", "001", "010", "100", "101"], ['+'] = ["000", "010", "111", "010", "000"],
        ['|'] = ["010", "010", "010", "010", "010"], [','] = ["000", "000", "000", "010", "100"],
    };

    /// <summary>Width in pixels of <paramref name="text"/> at <paramref name="scale"/> (one blank column between glyphs).</summary>
    public static int Measure(string text, int scale) => text.Length == 0 ? 0 : (text.Length * (GlyphWidth + 1) - 1) * scale;

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (x, y); unknown characters draw as blanks.</summary>
    public static void Draw(RgbImage image, string text, int x, int y, int scale, ReadOnlySpan<float> rgb)
    {
        foreach (char ch in text.ToUpperInvariant())
        {
            if (Glyphs.TryGetValue(ch, out var rows))
            {
                for (int gy = 0; gy < GlyphHeight; gy++)
                    for (int gx = 0; gx < GlyphWidth; gx++)
                        if (rows[gy][gx] == '1')
                            FillRect(image, x + gx * scale, y + gy * scale, scale, scale, rgb);
            }
            x += (GlyphWidth + 1) * scale;
        }
    }

    /// <summary>Fills a rectangle, clipped to the image.</summary>
    public static void FillRect(RgbImage image, int x0, int y0, int w, int h, ReadOnlySpan<float> rgb)
    {
        for (int y = Math.Max(0, y0); y < Math.Min(image.Height, y0 + h); y++)
            for (int x = Math.Max(0, x0); x < Math.Min(image.Width, x0 + w); x++)
                rgb.CopyTo(image.Pixel(x, y));
    }
}
