// Blob storage going down and coming back, on an Azurite process of this test's own (the shared
// one keeps serving the other tests): the circuit opens within seconds of the outage (the SDK's
// own retries would take minutes), calls then fail at once, and the store works again after
// the emulator restarts.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure;
using Microsoft.Extensions.Logging.Abstractions;
using Polly.CircuitBreaker;
using Rtfm.Persistence.AzureBlob.Providers;
using Rtfm.Persistence.AzureBlob.Storage;
using Rtfm.Storage;
using Xunit.Abstractions;

namespace Rtfm.Persistence.AzureBlob.Tests;

public sealed class BlobOutageTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("rtfm-azurite-outage-").FullName;
    private Process? _azurite;

    public void Dispose()
    {
        Stop();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task The_circuit_opens_within_seconds_of_an_outage_and_closes_after_the_restart()
    {
        int port = FreePort();
        await StartAsync(port);
        var options = new AzureBlobContentStoreOptions
        {
            ConnectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;",
            ContainerName = "outage",
        };
        // Default figures (retry 3 x 200 ms doubling, jittered; open at 50% of >= 4 attempts in
        // 10 s) except a 1 s break, so that the test does not wait the default 5 s to recover.
        options.Resilience.BreakDuration = TimeSpan.FromSeconds(1);
        var stores = new AzureBlobContentStores(options, "outage-test", NullLogger<AzureBlobContentStores>.Instance);
        var store = stores.ForPrefix("");
        var before = new byte[5000];
        new Random(50).NextBytes(before);
        var name = await store.PutAsync(before);
        Assert.Equal(CircuitState.Closed, stores.CircuitState);

        Stop(); // storage down
        var outage = Stopwatch.StartNew();
        int calls = 0;
        while (stores.CircuitState != CircuitState.Open)
        {
            Assert.True(outage.Elapsed < TimeSpan.FromSeconds(20), $"the circuit is still {stores.CircuitState} {outage.Elapsed.TotalSeconds:F1} s into the outage after {calls} calls");
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => store.GetAsync(name));
            Assert.True(failure is RequestFailedException or HttpRequestException or BrokenCircuitException, $"call {calls} failed with {failure.GetType().Name}: {failure.Message}");
            calls++;
        }
        var timeToOpen = outage.Elapsed;

        var fast = Stopwatch.StartNew();
        await Assert.ThrowsAsync<BrokenCircuitException>(() => store.GetAsync(name));
        var failFast = fast.Elapsed;
        output.WriteLine($"circuit open {timeToOpen.TotalMilliseconds:F0} ms into the outage after {calls} call(s); a call on the open circuit failed in {failFast.TotalMilliseconds:F1} ms");
        Assert.True(timeToOpen < TimeSpan.FromSeconds(10), $"the circuit took {timeToOpen.TotalSeconds:F1} s to open");
        Assert.True(failFast < TimeSpan.FromMilliseconds(200), $"a call on the open circuit took {failFast.TotalMilliseconds:F0} ms");

        await StartAsync(port); // storage back (the emulator may have lost what it had not saved)
        var recovery = Stopwatch.StartNew();
        var after = new byte[7000];
        new Random(51).NextBytes(after);
        ContentName? stored = null;
        while (stored is null)
        {
            Assert.True(recovery.Elapsed < TimeSpan.FromSeconds(20), $"the store still fails {recovery.Elapsed.TotalSeconds:F1} s after the restart (circuit {stores.CircuitState})");
            try { stored = await store.PutAsync(after); }
            catch (BrokenCircuitException) { await Task.Delay(100); } // waiting out the break: the only way to observe a real process coming back
        }
        output.WriteLine($"store usable again {recovery.Elapsed.TotalMilliseconds:F0} ms after the restart");
        Assert.Equal(after, await store.GetAsync(stored.Value));
        Assert.Equal(CircuitState.Closed, stores.CircuitState);
    }

    private async Task StartAsync(int port)
    {
        string program = Environment.GetEnvironmentVariable(Azurite.ProgramVariable) is { Length: > 0 } p
            ? p
            : throw new InvalidOperationException($"{Azurite.ProgramVariable} is not set: this test starts its own Azurite. Run ./test.sh, or `source infra/test/azurite.sh && rtfm_azurite_start` before `dotnet test`.");
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--location", _data, "--skipApiVersionCheck", "--disableTelemetry", "--silent" })
            start.ArgumentList.Add(arg);
        _azurite = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (sw.Elapsed < TimeSpan.FromSeconds(30) && !_azurite.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    private void Stop()
    {
        if (_azurite is null) return;
        if (!_azurite.HasExited) _azurite.Kill(entireProcessTree: true);
        _azurite.WaitForExit();
        _azurite.Dispose();
        _azurite = null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
