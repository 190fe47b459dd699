// The rtfm command line as a user meets it: help, bad input (one error line, non-zero exit,
// no stack trace) and a small real render that writes its files.
using System.Text.Json;
using Rtfm.Core.Imaging;

namespace Rtfm.Cli.Tests;

public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rtfm-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("render", "--help")]
    [InlineData("demo", "--help")]
    [InlineData("bench", "engine", "--help")]
    [InlineData("dataset", "--help")]
    [InlineData("eval", "--help")]
    public void Help_is_available_everywhere(params string[] args)
    {
        var (code, output, _) = Run(args);
        Assert.Equal(0, code);
        Assert.Contains("Usage", output);
    }

    [Theory]
    [InlineData("--trajectory", "spiral", "orbit, walk, loop")]
    [InlineData("--frames", "-3", "--frames must be between 1")]
    [InlineData("--frames", "abc", "abc")]
    [InlineData("--threads", "-1", "--threads must be between 0")]
    public void Bad_render_arguments_print_one_error_line_and_exit_2(string option, string value, string expected)
    {
        var (code, _, err) = Run("render", "--out", Path.Combine(_dir, "x"), option, value);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", err);
        Assert.Contains(expected, err);
        Assert.DoesNotContain("   at ", err); // no stack trace
    }

    [Fact]
    public void Dataset_writes_scenes_and_rejects_a_bad_split()
    {
        var (code, _, err) = Run("dataset", "--out", Path.Combine(_dir, "ds"), "--split", "holdout");
        Assert.Equal(2, code);
        Assert.Contains("--split must be train, validation, test or all", err);
        (code, var output, err) = Run("dataset", "--out", Path.Combine(_dir, "ds"), "--split", "test", "--scenes", "1", "--frames", "2", "--size", "16", "--no-png");
        Assert.True(code == 0, err);
        Assert.Contains("wrote 1 scenes x 2 frames", output);
        Assert.True(File.Exists(Path.Combine(_dir, "ds", "manifest.json")));
    }

    [Fact]
    public void Unreadable_weights_print_one_error_line_and_exit_1()
    {
        string weights = Path.Combine(_dir, "bad.safetensors");
        File.WriteAllBytes(weights, [1, 2, 3, 4, 5]);
        var (code, _, err) = Run("render", "--out", Path.Combine(_dir, "x"), "--frames", "2", "--weights", weights);
        Assert.Equal(1, code);
        Assert.StartsWith("error: cannot read weights", err);
        Assert.DoesNotContain("   at ", err);
        (code, _, err) = Run("render", "--out", Path.Combine(_dir, "x"), "--weights", Path.Combine(_dir, "nope.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("does not exist", err);
    }

    [Fact]
    public void Demo_runs_the_platform_on_an_in_process_silo()
    {
        string outDir = Path.Combine(_dir, "demo");
        var (code, output, err) = Run("demo", "--frames", "6", "--out", outDir, "--threads", "2");
        Assert.True(code == 0, $"exit {code}: {err}");
        Assert.Contains("in-process Orleans silo", output);
        Assert.Contains("return frames identical", output);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(outDir, "model"), "*.png").Length);
        Assert.True(Directory.Exists(Path.Combine(outDir, "platform-data", "state")), "grain state goes to the embedded file store");
    }

    [Fact]
    public void Bench_platform_times_both_peers_writes_its_section_and_leaves_no_data_behind()
    {
        string report = Path.Combine(_dir, "bench.md");
        var (code, output, err) = Run("bench", "platform", "--sessions", "1,2", "--frames", "4", "--rounds", "2", "--write", report);
        Assert.True(code == 0, $"exit {code}: {err}");
        string md = File.ReadAllText(report);
        Assert.Contains("<!-- platform:start -->", md);
        foreach (var row in new[] { "| 1 | 4 |", "| 2 | 4 |" })
        {
            // sessions | steps | engine fps | grains fps | ratio ...: both peers measured a positive rate.
            var cells = md.Split('\n').Single(l => l.StartsWith(row, StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries);
            Assert.True(double.Parse(cells[3], System.Globalization.CultureInfo.InvariantCulture) > 0, md);
            Assert.True(double.Parse(cells[4], System.Globalization.CultureInfo.InvariantCulture) > 0, md);
        }
        Assert.Contains("grains CPU ms/frame by thread: rtfm-engine", output);
        // Every round's silo data goes when the run ends.
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), $"rtfm-bench-{Environment.ProcessId}")), "the bench left its data directories behind");
    }

    [Fact]
    public void Render_writes_frames_contact_sheet_and_summary()
    {
        string outDir = Path.Combine(_dir, "loop");
        var (code, output, err) = Run("render", "--scene", "2", "--trajectory", "loop", "--frames", "6", "--out", outDir, "--threads", "2");
        Assert.True(code == 0, $"exit {code}: {err}");
        // The shipped weights (models/rtfm-tiny-64.safetensors) are the default: no UNTRAINED label.
        Assert.DoesNotContain("UNTRAINED", output);
        Assert.Contains("rtfm-tiny-64 train-step", output);
        Assert.Contains("return frames identical", output);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(outDir, "gt"), "*.png").Length);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(outDir, "model"), "*.png").Length);
        Assert.True(new FileInfo(Path.Combine(outDir, "contact-sheet.png")).Length > 1000);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        Assert.True(summary.RootElement.GetProperty("Trained").GetBoolean());
        Assert.Equal(6, summary.RootElement.GetProperty("Frames").GetInt32());
        Assert.True(summary.RootElement.GetProperty("FramesPerSecond").GetDouble() > 0);
    }

    [Fact]
    public void Eval_quick_writes_the_report_pictures_and_finite_figures_beside_baselines()
    {
        string outDir = Path.Combine(_dir, "quality"), doc = Path.Combine(_dir, "quality.md");
        var (code, output, err) = Run("eval", "--quick", "--out", outDir, "--doc", doc, "--threads", "2");
        Assert.True(code == 0, $"exit {code}: {err}");
        Assert.Contains("reconstruction PSNR", output);

        string md = File.ReadAllText(doc);
        foreach (string expected in new[] { "## Reconstruction", "## Revisit", "## Generation from one image", "## Persistence", "## Cost per frame",
            "| nearest |", "| blurred nearest |", "| mean of context |", "| path | targets |", "QUICK run", "![Contact sheet](quality/contact-sheet.png)", "![PSNR along the loop](quality/loop-psnr.png)", "![Loop frames](quality/loop-frames.png)" })
            Assert.True(md.Contains(expected, StringComparison.Ordinal), $"quality.md lacks '{expected}':\n{md}");
        Assert.DoesNotContain("NaN", md);
        Assert.DoesNotContain(_dir, md); // absolute paths are shown by file name only

        var sheet = PngCodec.Decode(File.ReadAllBytes(Path.Combine(outDir, "contact-sheet.png")));
        Assert.True(sheet.Width >= 4 * 128 && sheet.Height >= 128, $"contact sheet is {sheet.Width}x{sheet.Height}: one group is 4 frames of 128 px");
        var strip = PngCodec.Decode(File.ReadAllBytes(Path.Combine(outDir, "loop-frames.png")));
        Assert.True(strip.Width >= 5 * 128 && strip.Height >= 6 * 128, $"loop frames are {strip.Width}x{strip.Height}: 6 poses of 5 frames of 128 px");
        var plot = PngCodec.Decode(File.ReadAllBytes(Path.Combine(outDir, "loop-psnr.png")));
        Assert.Equal((720, 600), (plot.Width, plot.Height));
        int blue = 0, orange = 0;
        for (int y = 0; y < plot.Height; y++)
            for (int x = 0; x < plot.Width; x++)
            {
                var px = plot.Pixel(x, y);
                if (px[2] > 0.7f && px[0] < 0.2f) blue++;
                if (px[0] > 0.85f && px[2] < 0.1f) orange++;
            }
        Assert.True(blue > 200 && orange > 200, $"the loop plot should draw both series: {blue} blue, {orange} orange pixels");

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "quality.json")));
        var root = json.RootElement;
        foreach (string part in new[] { "reconstruction", "revisit" })
            foreach (string method in new[] { "model", "nearest", "blurred", "mean" })
                foreach (string figure in new[] { "psnr", "ssim", "sharpness" })
                {
                    var e = root.GetProperty(part).GetProperty(method).GetProperty(figure);
                    // The revisit's nearest frame is the target itself: an exact copy, +inf dB.
                    if (part == "revisit" && method == "nearest" && figure == "psnr") Assert.Equal("Infinity", e.GetString());
                    else Assert.True(e.ValueKind == JsonValueKind.Number && double.IsFinite(e.GetDouble()), $"{part}.{method}.{figure} = {e}");
                }
        // Test seed 20000000 replays the datasets' random-walk path.
        Assert.True(root.GetProperty("reconstruction_by_path").GetProperty("random").GetProperty("targets").GetInt32() == 2, root.GetProperty("reconstruction_by_path").ToString());
        Assert.Equal(4, root.GetProperty("generation").GetArrayLength());
        foreach (var g in root.GetProperty("generation").EnumerateArray())
            foreach (string method in new[] { "model", "nearest", "blurred" })
                Assert.True(double.IsFinite(g.GetProperty("scores").GetProperty(method).GetProperty("psnr").GetDouble()), $"generation {g.GetProperty("steps")} {method}");
        var p = root.GetProperty("persistence");
        Assert.Equal(16, p.GetProperty("frames").GetInt32());
        Assert.Equal(8, p.GetProperty("pairs").GetInt32());
        Assert.True(double.IsFinite(p.GetProperty("memory_return_vs_outbound").GetDouble()) && double.IsFinite(p.GetProperty("window_return_vs_outbound").GetDouble()));
        Assert.All(p.GetProperty("memory_vs_truth").EnumerateArray(), e => Assert.True(double.IsFinite(e.GetDouble())));
        var cost = root.GetProperty("cost");
        Assert.Equal(10_000, cost.GetProperty("session_frames").GetInt32());
        Assert.True(cost.GetProperty("flat").GetBoolean(), "a render at frame 10 and at frame 10 000 should do the same work");
        Assert.Equal(6, root.GetProperty("checks").GetArrayLength());
    }

    [Fact]
    public void Eval_with_missing_weights_or_bad_counts_prints_one_error_line()
    {
        var (code, _, err) = Run("eval", "--quick", "--weights", Path.Combine(_dir, "nope.safetensors"), "--out", Path.Combine(_dir, "q"), "--doc", Path.Combine(_dir, "q.md"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: weights file", err);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(File.Exists(Path.Combine(_dir, "q.md")), "no report is written when the weights are missing");
        (code, _, err) = Run("eval", "--scenes", "0", "--out", Path.Combine(_dir, "q"), "--doc", Path.Combine(_dir, "q.md"));
        Assert.Equal(2, code);
        Assert.Contains("--scenes must be between 1", err);
    }
}
