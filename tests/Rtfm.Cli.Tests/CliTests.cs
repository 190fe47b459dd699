// The rtfm command line as a user meets it: help, bad input (one error line, non-zero exit,
// no stack trace) and a small real render that writes its files.
using System.Text.Json;

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
    public void Render_writes_frames_contact_sheet_and_summary()
    {
        string outDir = Path.Combine(_dir, "loop");
        var (code, output, err) = Run("render", "--scene", "2", "--trajectory", "loop", "--frames", "6", "--out", outDir, "--threads", "2");
        Assert.True(code == 0, $"exit {code}: {err}");
        Assert.Contains("UNTRAINED", output);
        Assert.Contains("return frames identical", output);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(outDir, "gt"), "*.png").Length);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(outDir, "model"), "*.png").Length);
        Assert.True(new FileInfo(Path.Combine(outDir, "contact-sheet.png")).Length > 1000);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        Assert.False(summary.RootElement.GetProperty("Trained").GetBoolean());
        Assert.Equal(6, summary.RootElement.GetProperty("Frames").GetInt32());
        Assert.True(summary.RootElement.GetProperty("FramesPerSecond").GetDouble() > 0);
    }
}
