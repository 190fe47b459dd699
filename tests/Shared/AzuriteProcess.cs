// An Azurite (blob) process of a test's own, for tests that stop and restart storage while the
// shared instance that test.sh starts keeps serving the other tests. Compiled into the test
// projects that need it. The program comes from RTFM_TEST_AZURITE_BLOB (exported by
// infra/test/azurite.sh); a missing one fails the test with how to fix it.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Rtfm.Tests.Shared;

public sealed class AzuriteProcess : IDisposable
{
    public const string ProgramVariable = "RTFM_TEST_AZURITE_BLOB";

    // The emulator's documented, public development account (not a secret).
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly string _data = Directory.CreateTempSubdirectory("rtfm-azurite-own-").FullName;
    private Process? _process;

    public int Port { get; } = FreePort();

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{Port}/devstoreaccount1;";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts the emulator on <see cref="Port"/> with this instance's data folder (kept across restarts).</summary>
    public async Task StartAsync()
    {
        string program = Environment.GetEnvironmentVariable(ProgramVariable) is { Length: > 0 } p
            ? p
            : throw new InvalidOperationException($"{ProgramVariable} is not set: this test starts its own Azurite. Run ./test.sh, or `source infra/test/azurite.sh && rtfm_azurite_start` before `dotnet test`.");
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--location", _data, "--skipApiVersionCheck", "--disableTelemetry", "--silent" })
            start.ArgumentList.Add(arg);
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(30) && !_process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Stops the emulator: gracefully (SIGTERM, it saves its metadata) or as a crash (SIGKILL).</summary>
    public void Stop(bool graceful = true)
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            if (graceful)
            {
                using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                term.WaitForExit();
                if (!_process.WaitForExit(10_000)) _process.Kill(entireProcessTree: true);
            }
            else
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Stop(graceful: false);
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
