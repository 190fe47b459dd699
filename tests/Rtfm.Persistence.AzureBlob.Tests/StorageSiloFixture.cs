// A silo (localhost clustering, free ports) that hosts two grain storage instances, "first"
// and "second", over the same backend: two writers, as two silos would be. The conformance
// suite calls them directly through IGrainStorage.
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Storage;

namespace Rtfm.Persistence.AzureBlob.Tests;

public abstract class StorageSiloFixture : IAsyncLifetime
{
    public const string First = "first";
    public const string Second = "second";

    private IHost? _host;

    public IServiceProvider Services => _host?.Services ?? throw new InvalidOperationException("the fixture's silo is not started");

    public IGrainStorage Storage(string name) => Services.GetRequiredKeyedService<IGrainStorage>(name);

    /// <summary>Registers the storage under <see cref="First"/> and <see cref="Second"/>, both on one backend.</summary>
    protected abstract void AddStorages(ISiloBuilder silo);

    public virtual async Task InitializeAsync()
    {
        int siloPort = FreePort(), gatewayPort = FreePort();
        _host = new HostBuilder()
            .UseOrleans(silo =>
            {
                silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: "conformance", clusterId: $"conformance-{siloPort}");
                AddStorages(silo);
            })
            .Build();
        await _host.StartAsync();
    }

    public virtual async Task DisposeAsync()
    {
        if (_host is null) return;
        await _host.StopAsync();
        _host.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
