// A progress line on stderr for long runs: redrawn in place on a terminal, a line every 10%
// when redirected (so logs stay readable).
using System.Diagnostics;

namespace Rtfm.Cli.Rendering;

internal sealed class ConsoleProgress(TextWriter writer, string label, int total, bool interactive)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _lastDecile = -1;

    public static ConsoleProgress For(TextWriter writer, string label, int total) =>
        new(writer, label, total, ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected);

    public void Report(int done)
    {
        double rate = done / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
        if (interactive)
        {
            int width = 30, filled = total == 0 ? width : done * width / total;
            writer.Write($"\r{label,-18} [{new string('#', filled)}{new string('.', width - filled)}] {done}/{total}  {rate:F1}/s ");
            if (done == total) writer.WriteLine();
        }
        else
        {
            int decile = total == 0 ? 10 : done * 10 / total;
            if (decile != _lastDecile && (decile > _lastDecile))
            {
                _lastDecile = decile;
                writer.WriteLine($"{label}: {done}/{total} ({rate:F1}/s)");
            }
        }
    }
}
