// rtfm-silo: a silo of the platform. Embedded defaults: localhost clustering, file stores.
// Settings: appsettings.json, environment (Rtfm__SiloPort=..., Cluster__Clustering=redis),
// command line (--Rtfm:SiloPort=..., --Cluster:RedisConnectionString=...).
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Rtfm.Grains.Hosting;
using Rtfm.Silo;

var builder = RtfmHost.CreateBuilder(args);
var options = builder.Configuration.GetSection(SiloHostOptions.Section).Get<SiloHostOptions>() ?? new SiloHostOptions();
var cluster = builder.Configuration.GetSection("Cluster").Get<RtfmClusterOptions>() ?? new RtfmClusterOptions();
var problems = options.Problems().Concat(cluster.Problems("Cluster:")).ToList();
if (problems.Count > 0)
{
    foreach (var p in problems) Console.Error.WriteLine($"error: {p}");
    return 2;
}
// A host name (e.g. a compose service) is resolved once at start; silos advertise an address.
System.Net.IPAddress? advertised = null;
if (!string.IsNullOrWhiteSpace(options.AdvertisedAddress))
{
    try
    {
        advertised = System.Net.IPAddress.TryParse(options.AdvertisedAddress, out var ip)
            ? ip
            : (await System.Net.Dns.GetHostAddressesAsync(options.AdvertisedAddress)).First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
    }
    catch (Exception ex) when (ex is System.Net.Sockets.SocketException or InvalidOperationException)
    {
        Console.Error.WriteLine($"error: Rtfm:AdvertisedAddress '{options.AdvertisedAddress}' does not resolve to an IPv4 address ({ex.Message})");
        return 2;
    }
}
string? weightsPath = options.WeightsPath ?? Rtfm.Model.Weights.DefaultWeights.Find();
builder.UseOrleans(silo => silo
    .UseRtfmClustering(cluster, options.SiloPort, options.GatewayPort, advertised)
    .AddRtfmPlatform(p =>
    {
        p.DataDirectory = options.DataDirectory;
        p.Storage = options.Storage;
        p.HealthReportInterval = options.HealthReportInterval;
        p.BlobConnectionString = options.BlobConnectionString;
        p.BlobStateContainer = options.BlobStateContainer;
        p.BlobContentContainer = options.BlobContentContainer;
        p.WeightsPath = weightsPath;
        p.Render = options.Render;
        p.Capacity = options.Capacity;
        p.Cuda.DeviceOrdinal = options.CudaDevice;
        p.Cuda.Memory = new() { KvBudgetFraction = options.CudaKvBudgetFraction, KvBudgetBytes = options.CudaKvBudgetBytes, MaxSessions = options.CudaMaxSessions };
        p.Engine.Threads = options.EngineThreads;
    }));
using var host = builder.Build();
Console.WriteLine($"rtfm-silo: process {Environment.ProcessId}, silo port {options.SiloPort}, gateway {options.GatewayPort}, render {options.Render}, clustering {cluster.Clustering} (cluster {cluster.ClusterId}), storage {(options.Storage == "blob" ? $"blob ({options.BlobStateContainer}, {options.BlobContentContainer})" : Path.GetFullPath(options.DataDirectory))}, model {weightsPath ?? "untrained init (no models/rtfm-tiny-64.safetensors found)"}");
await host.RunAsync();
return 0;
