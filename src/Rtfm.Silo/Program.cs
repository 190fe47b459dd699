// rtfm-silo: a silo of the platform on embedded defaults (localhost clustering, file stores).
// Settings: appsettings.json, environment (Rtfm__SiloPort=...), command line (--Rtfm:SiloPort=...).
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Rtfm.Grains.Hosting;
using Rtfm.Silo;

var builder = Host.CreateApplicationBuilder(args);
var options = builder.Configuration.GetSection(SiloHostOptions.Section).Get<SiloHostOptions>() ?? new SiloHostOptions();
var problems = options.Problems();
if (problems.Count > 0)
{
    foreach (var p in problems) Console.Error.WriteLine($"error: {p}");
    return 2;
}
builder.UseOrleans(silo => silo
    .UseLocalhostClustering(options.SiloPort, options.GatewayPort)
    .AddRtfmPlatform(p =>
    {
        p.DataDirectory = options.DataDirectory;
        p.WeightsPath = options.WeightsPath;
        p.Render = options.Render;
        p.Capacity = options.Capacity;
        p.Engine.Threads = options.EngineThreads;
    }));
using var host = builder.Build();
Console.WriteLine($"rtfm-silo: process {Environment.ProcessId}, silo port {options.SiloPort}, gateway {options.GatewayPort}, render {options.Render}, data {Path.GetFullPath(options.DataDirectory)}");
await host.RunAsync();
return 0;
