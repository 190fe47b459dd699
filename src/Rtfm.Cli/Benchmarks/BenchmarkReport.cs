// docs/benchmarks.md holds one section per benchmark between markers; each benchmark rewrites
// only its own section, so running one does not erase the other's figures.
namespace Rtfm.Cli.Benchmarks;

internal static class BenchmarkReport
{
    private const string Title = "# Benchmarks\n\nEach section is written by the command it names; figures vary between machines, so compare\nthe ratios, which are measured within one run.\n";

    public static void WriteSection(string path, string name, string markdown)
    {
        string start = $"<!-- {name}:start -->", end = $"<!-- {name}:end -->";
        string text = File.Exists(path) ? File.ReadAllText(path) : Title;
        if (!text.Contains("<!-- ", StringComparison.Ordinal)) text = Title; // an old unsectioned report
        string block = $"{start}\n{markdown.TrimEnd()}\n{end}";
        int a = text.IndexOf(start, StringComparison.Ordinal), b = text.IndexOf(end, StringComparison.Ordinal);
        text = a >= 0 && b > a ? text[..a] + block + text[(b + end.Length)..] : text.TrimEnd() + "\n\n" + block + "\n";
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, text);
    }
}
