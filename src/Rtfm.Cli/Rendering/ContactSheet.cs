// A contact sheet: for every frame, ground truth | model side by side, upscaled, in a grid.
using Rtfm.Core.Imaging;

namespace Rtfm.Cli.Rendering;

internal static class ContactSheet
{
    public static RgbImage Build(IReadOnlyList<RgbImage> groundTruth, IReadOnlyList<RgbImage> model, int columns = 4, int scale = 2)
    {
        if (groundTruth.Count != model.Count || groundTruth.Count == 0) throw new ArgumentException("contact sheet needs equal, non-empty frame lists");
        int w = groundTruth[0].Width * scale, h = groundTruth[0].Height * scale, gap = 4, pairGap = 1;
        int cellW = 2 * w + pairGap, rows = (groundTruth.Count + columns - 1) / columns;
        int cols = Math.Min(columns, groundTruth.Count);
        var sheet = new RgbImage(cols * cellW + (cols + 1) * gap, rows * h + (rows + 1) * gap);
        Array.Fill(sheet.Pixels, 0.12f);
        for (int i = 0; i < groundTruth.Count; i++)
        {
            int x = gap + i % columns * (cellW + gap), y = gap + i / columns * (h + gap);
            sheet.Blit(groundTruth[i].Upscale(scale), x, y);
            sheet.Blit(model[i].Upscale(scale), x + w + pairGap, y);
        }
        return sheet;
    }
}
