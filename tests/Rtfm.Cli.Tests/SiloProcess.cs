// A real rtfm-silo process for tests: started from the built dll (so its PID is the silo's own,
// and kill -9 is a real crash), ready once its gateway accepts connections, output captured for
// failure messages.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Rtfm.Cli.Tests;

internal sealed class SiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private SiloProcess(Process process, int siloPort, int gatewayPort)
    {
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
    }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public bool HasExited => _process.HasExited;

    public string Output { get { lock (_output) return _output.ToString(); } }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Starts a silo with the given extra settings (--Section:Key=value) and waits for its gateway.</summary>
    public static async Task<SiloProcess> StartAsync(string dataDirectory, params string[] settings)
    {
        int siloPort = FreePort(), gateway = FreePort();
        string dll = Path.Combine(AppContext.BaseDirectory, "rtfm-silo.dll");
        Assert.True(File.Exists(dll), $"{dll} was not built next to the tests");
        var psi = new ProcessStartInfo("dotnet", [dll, $"--Rtfm:SiloPort={siloPort}", $"--Rtfm:GatewayPort={gateway}", $"--Rtfm:DataDirectory={dataDirectory}", "--Rtfm:EngineThreads=1", .. settings])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        var silo = new SiloProcess(Process.Start(psi)!, siloPort, gateway);
        silo._process.OutputDataReceived += (_, e) => { lock (silo._output) silo._output.AppendLine(e.Data); };
        silo._process.ErrorDataReceived += (_, e) => { lock (silo._output) silo._output.AppendLine(e.Data); };
        silo._process.BeginOutputReadLine();
        silo._process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, gateway);
                return silo;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(60) && !silo.HasExited)
            {
                await Task.Delay(200);
            }
            catch (SocketException)
            {
                silo.Dispose();
                Assert.Fail($"rtfm-silo did not open gateway {gateway} within 60 s (exited: {silo.HasExited}). Output:\n{silo.Output}");
            }
        }
    }

    /// <summary>A crash: SIGKILL, no shutdown code runs.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit(10_000);
    }

    /// <summary>A graceful stop: SIGTERM, the host shuts the silo down (grains deactivate, sessions flush).</summary>
    public bool Stop(TimeSpan timeout)
    {
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) term.WaitForExit();
        return _process.WaitForExit(timeout);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }
}
