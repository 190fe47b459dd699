// A line chart drawn straight into an RgbImage: axes, horizontal grid lines with values, x
// ticks, a title, a legend, and one polyline per series (NaN values leave gaps). Enough for
// the evaluation's "PSNR along the loop" figure without a plotting library.
using Rtfm.Core.Imaging;

namespace Rtfm.Cli.Rendering;

internal sealed record ChartSeries(string Name, float[] Rgb, IReadOnlyList<double> X, IReadOnlyList<double> Y);

internal static class LineChart
{
    private static readonly float[] Ink = [0.1f, 0.1f, 0.1f];
    private static readonly float[] Grid = [0.86f, 0.86f, 0.86f];
    private static readonly float[] Paper = [1f, 1f, 1f];

    public static readonly float[] Blue = [0.12f, 0.38f, 0.80f];
    public static readonly float[] Orange = [0.93f, 0.45f, 0.05f];
    public static readonly float[] Green = [0.15f, 0.60f, 0.25f];
    public static readonly float[] Grey = [0.55f, 0.55f, 0.55f];

    public static RgbImage Draw(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series,
        (double Min, double Max) xRange, (double Min, double Max) yRange, double yStep, double xStep, int width = 720, int height = 300)
    {
        if (!(xRange.Max > xRange.Min) || !(yRange.Max > yRange.Min) || !(yStep > 0) || !(xStep > 0))
            throw new ArgumentException($"chart ranges must be non-empty and steps positive: x {xRange}, y {yRange}, steps {xStep}, {yStep}");
        const int text = 2, left = 56, right = 16, top = 40, bottom = 40;
        var img = new RgbImage(width, height);
        PixelFont.FillRect(img, 0, 0, width, height, Paper);
        int pw = width - left - right, ph = height - top - bottom;
        int Px(double x) => left + (int)Math.Round((x - xRange.Min) / (xRange.Max - xRange.Min) * pw);
        int Py(double y) => top + ph - (int)Math.Round((Math.Clamp(y, yRange.Min, yRange.Max) - yRange.Min) / (yRange.Max - yRange.Min) * ph);

        for (double y = Math.Ceiling(yRange.Min / yStep) * yStep; y <= yRange.Max + 1e-9; y += yStep)
        {
            int py = Py(y);
            PixelFont.FillRect(img, left, py, pw, 1, Grid);
            string label = y.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
            PixelFont.Draw(img, label, left - 6 - PixelFont.Measure(label, text), py - 5, text, Ink);
        }
        for (double x = Math.Ceiling(xRange.Min / xStep) * xStep; x <= xRange.Max + 1e-9; x += xStep)
        {
            int px = Px(x);
            PixelFont.FillRect(img, px, top + ph, 1, 5, Ink);
            string label = x.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
            PixelFont.Draw(img, label, px - PixelFont.Measure(label, text) / 2, top + ph + 8, text, Ink);
        }
        PixelFont.FillRect(img, left, top, 1, ph + 1, Ink);
        PixelFont.FillRect(img, left, top + ph, pw + 1, 1, Ink);
        PixelFont.Draw(img, title, left, 6, text, Ink);
        PixelFont.Draw(img, xLabel, left + pw - PixelFont.Measure(xLabel, text), height - 14, text, Ink);
        PixelFont.Draw(img, yLabel, 4, 22, text, Ink);

        foreach (var s in series)
        {
            if (s.X.Count != s.Y.Count) throw new ArgumentException($"series '{s.Name}' has {s.X.Count} x values and {s.Y.Count} y values");
            for (int i = 1; i < s.X.Count; i++)
            {
                if (!double.IsFinite(s.Y[i - 1]) || !double.IsFinite(s.Y[i])) continue;
                Line(img, Px(s.X[i - 1]), Py(s.Y[i - 1]), Px(s.X[i]), Py(s.Y[i]), s.Rgb);
            }
        }
        // Legend, under the title on the right: a colour swatch and the name of each series.
        int lx = left + pw, ly = 22;
        for (int i = series.Count - 1; i >= 0; i--)
        {
            int w = PixelFont.Measure(series[i].Name, text);
            lx -= w;
            PixelFont.Draw(img, series[i].Name, lx, ly, text, Ink);
            lx -= 16;
            PixelFont.FillRect(img, lx, ly + 2, 12, 6, series[i].Rgb);
            lx -= 16;
        }
        return img;
    }

    /// <summary>Stacks images vertically on a white page, left-aligned.</summary>
    public static RgbImage Stack(params RgbImage[] panels)
    {
        var page = new RgbImage(panels.Max(p => p.Width), panels.Sum(p => p.Height));
        PixelFont.FillRect(page, 0, 0, page.Width, page.Height, Paper);
        int y = 0;
        foreach (var p in panels)
        {
            page.Blit(p, 0, y);
            y += p.Height;
        }
        return page;
    }

    /// <summary>A 2-pixel-thick line (Bresenham).</summary>
    private static void Line(RgbImage img, int x0, int y0, int x1, int y1, float[] rgb)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
        while (true)
        {
            PixelFont.FillRect(img, x0, y0, 2, 2, rgb);
            if (x0 == x1 && y0 == y1) break;
            int e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }
}
