// The client commands against a real rtfm-silo process (not an in-process test cluster):
// create, list, info, play, delete — and clear errors for a missing world or silo.
using System.Diagnostics;

namespace Rtfm.Cli.Tests;

public sealed class SiloProcessTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rtfm-silo-proc-").FullName;
    private SiloProcess? _silo;
    private int _gateway;

    public async Task InitializeAsync()
    {
        _silo = await SiloProcess.StartAsync(Path.Combine(_dir, "data"), "--Rtfm:EngineThreads=2", "--Rtfm:HealthReportInterval=00:00:00.5");
        _gateway = _silo.GatewayPort;
    }

    public Task DisposeAsync()
    {
        _silo?.Dispose();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run([.. args, "--gateway", _gateway.ToString(System.Globalization.CultureInfo.InvariantCulture)], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void World_and_session_commands_work_against_a_silo_process()
    {
        var (code, output, err) = Run("world", "create", "--id", "proc-1", "--scene", "3", "--frames", "2", "--owner", "tester");
        Assert.True(code == 0, err);
        Assert.Contains("frames     2", output);
        (code, output, _) = Run("world", "list");
        Assert.Equal(0, code);
        Assert.Contains("proc-1", output);
        (code, output, err) = Run("session", "play", "--world", "proc-1", "--frames", "6", "--out", Path.Combine(_dir, "frames"));
        Assert.True(code == 0, err);
        Assert.Contains("6 frames at", output);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(_dir, "frames"), "*.png").Length);
        (code, output, _) = Run("world", "delete", "--id", "proc-1");
        Assert.Equal(0, code);
        (code, _, err) = Run("world", "info", "--id", "proc-1");
        Assert.Equal(1, code);
        Assert.Contains("does not exist", err);
        // A world from posed images on disk: the cameras.json that 'rtfm dataset' writes.
        var ds = Path.Combine(_dir, "ds");
        var dsOut = new StringWriter();
        Assert.Equal(0, CliApp.Run(["dataset", "--split", "test", "--scenes", "1", "--frames", "3", "--out", ds], dsOut, new StringWriter()));
        string cameras = Directory.GetFiles(ds, "cameras.json", SearchOption.AllDirectories).Single();
        (code, output, err) = Run("world", "create", "--id", "imported", "--images", cameras);
        Assert.True(code == 0, err);
        Assert.Contains("frames     3", output);
        (code, _, err) = Run("world", "create", "--id", "both", "--images", cameras, "--scene", "2");
        Assert.Equal(2, code);
        Assert.Contains("exactly one of --scene SEED or --images", err);

        // Health: the silo reports within its interval; a healthy cluster exits 0.
        var clock = Stopwatch.StartNew();
        while (true)
        {
            (code, output, err) = Run("health");
            if (code == 0) break;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"rtfm health never reported a healthy silo (exit {code}): {output}{err}");
            Thread.Sleep(200);
        }
        Assert.Contains("healthy", output);
        Assert.Contains("file", output);

        (code, _, err) = Run("world", "create", "--id", "bad/id", "--scene", "1");
        Assert.Equal(1, code);
        Assert.Contains("may contain only letters", err);
    }

    [Fact]
    public void A_world_moves_through_an_archive_file_whole_and_a_damaged_archive_leaves_nothing()
    {
        var (code, _, err) = Run("world", "create", "--id", "arch-1", "--scene", "4", "--frames", "3", "--owner", "mover");
        Assert.True(code == 0, err);
        (code, _, err) = Run("session", "play", "--world", "arch-1", "--frames", "12", "--trajectory", "walk");
        Assert.True(code == 0, err);
        (code, string before, _) = Run("world", "info", "--id", "arch-1");
        Assert.Equal(0, code);
        string frames = before.Split('\n').Single(l => l.StartsWith("frames", StringComparison.Ordinal));

        string archive = Path.Combine(_dir, "arch-1.zip");
        (code, string exported, err) = Run("world", "export", "--id", "arch-1", "--out", archive);
        Assert.True(code == 0, err);
        Assert.Contains("exported arch-1", exported);
        (code, string imported, err) = Run("world", "import", "--file", archive, "--id", "arch-2");
        Assert.True(code == 0, err);
        Assert.Contains(frames, imported); // same frames in the same number of tiles
        Assert.Contains("mover", imported);
        (code, _, err) = Run("session", "play", "--world", "arch-2", "--frames", "4");
        Assert.True(code == 0, err);

        // The same archive again under the same id: refused, the existing world untouched.
        (code, _, err) = Run("world", "import", "--file", archive, "--id", "arch-2");
        Assert.Equal(1, code);
        Assert.Contains("already exists", err);

        // A damaged image inside the archive: detected, and the half-imported world is removed.
        string damaged = Path.Combine(_dir, "damaged.zip");
        File.Copy(archive, damaged);
        using (var zip = System.IO.Compression.ZipFile.Open(damaged, System.IO.Compression.ZipArchiveMode.Update))
        {
            var entry = zip.Entries.Last(e => e.FullName.StartsWith("images/", StringComparison.Ordinal));
            string name = entry.FullName;
            entry.Delete();
            using var w = zip.CreateEntry(name).Open();
            w.Write(new byte[] { 0x89, 0x50, 0x4e, 0x47, 1, 2, 3 });
        }
        (code, _, err) = Run("world", "import", "--file", damaged, "--id", "arch-3");
        Assert.Equal(1, code);
        Assert.Contains("does not match its name", err);
        (code, _, err) = Run("world", "info", "--id", "arch-3");
        Assert.Equal(1, code);
        Assert.Contains("does not exist", err);
        (code, _, err) = Run("world", "import", "--file", Path.Combine(_dir, "missing.zip"));
        Assert.Equal(2, code);
        Assert.Contains("does not exist", err);
    }
}
