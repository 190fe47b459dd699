// A contact sheet: groups of frames shown side by side (ground truth | model, or ground truth |
// model | baselines), upscaled, in a grid, with optional column captions.
using Rtfm.Core.Imaging;

namespace Rtfm.Cli.Rendering;

internal static class ContactSheet
{
    private static readonly float[] Caption = [0.92f, 0.92f, 0.92f];

    public static RgbImage Build(IReadOnlyList<RgbImage> groundTruth, IReadOnlyList<RgbImage> model, int columns = 4, int scale = 2)
    {
        if (groundTruth.Count != model.Count || groundTruth.Count == 0) throw new ArgumentException("contact sheet needs equal, non-empty frame lists");
        return BuildGroups(groundTruth.Zip(model, (g, m) => (IReadOnlyList<RgbImage>)[g, m]).ToArray(), captions: null, columns, scale);
    }

    /// <summary>
    /// One cell per group, its frames side by side; <paramref name="captions"/> (one per frame
    /// of a group) are written above every column of cells.
    /// </summary>
    public static RgbImage BuildGroups(IReadOnlyList<IReadOnlyList<RgbImage>> groups, IReadOnlyList<string>? captions, int columns = 2, int scale = 2)
    {
        if (groups.Count == 0 || groups[0].Count == 0) throw new ArgumentException("contact sheet needs at least one non-empty group");
        int per = groups[0].Count;
        if (groups.Any(g => g.Count != per)) throw new ArgumentException("every contact sheet group needs the same number of frames");
        if (captions is not null && captions.Count != per) throw new ArgumentException($"{captions.Count} captions for groups of {per} frames");
        int w = groups[0][0].Width * scale, h = groups[0][0].Height * scale, gap = 6, pairGap = 2;
        int head = captions is null ? 0 : 16;
        int cellW = per * w + (per - 1) * pairGap, rows = (groups.Count + columns - 1) / columns;
        int cols = Math.Min(columns, groups.Count);
        var sheet = new RgbImage(cols * cellW + (cols + 1) * gap, head + rows * h + (rows + 1) * gap);
        Array.Fill(sheet.Pixels, 0.12f);
        if (captions is not null)
            for (int c = 0; c < cols; c++)
                for (int j = 0; j < per; j++)
                    PixelFont.Draw(sheet, captions[j], gap + c * (cellW + gap) + j * (w + pairGap) + 2, 6, 2, Caption);
        for (int i = 0; i < groups.Count; i++)
        {
            int x = gap + i % columns * (cellW + gap), y = head + gap + i / columns * (h + gap);
            for (int j = 0; j < per; j++) sheet.Blit(groups[i][j].Upscale(scale), x + j * (w + pairGap), y);
        }
        return sheet;
    }
}
