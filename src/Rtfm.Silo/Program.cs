// rtfm-silo: a silo of the platform. Embedded defaults: localhost clustering, file stores.
// Settings: appsettings.json, environment (Rtfm__SiloPort=..., Cluster__Clustering=redis),
// command line (--Rtfm:SiloPort=..., --Cluster:RedisConnectionString=...).
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Rtfm.Grains.Hosting;
using Rtfm.Silo;

var builder = Host.CreateApplicationBuilder(args);
var options = builder.Configuration.GetSection(SiloHostOptions.Section).Get<SiloHostOptions>() ?? new SiloHostOptions();
var cluster = builder.Configuration.GetSection("Cluster").Get<RtfmClusterOptions>() ?? new RtfmClusterOptions();
var problems = options.Problems().Concat(cluster.Problems("Cluster:")).ToList();
if (problems.Count > 0)
{
    foreach (var p in problems) Console.Error.WriteLine($"error: {p}");
    return 2;
}
builder.UseOrleans(silo => silo
    .UseRtfmClustering(cluster, options.SiloPort, options.GatewayPort)
    .AddRtfmPlatform(p =>
    {
        p.DataDirectory = options.DataDirectory;
        p.WeightsPath = options.WeightsPath;
        p.Render = options.Render;
        p.Capacity = options.Capacity;
        p.Engine.Threads = options.EngineThreads;
    }));
using var host = builder.Build();
Console.WriteLine($"rtfm-silo: process {Environment.ProcessId}, silo port {options.SiloPort}, gateway {options.GatewayPort}, render {options.Render}, clustering {cluster.Clustering} (cluster {cluster.ClusterId}), data {Path.GetFullPath(options.DataDirectory)}");
await host.RunAsync();
return 0;
