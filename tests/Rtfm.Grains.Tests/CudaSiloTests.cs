// Render = "cuda" silos. Without a usable GPU (this machine and CI have none) the silo starts
// anyway as a CPU render silo: it advertises rtfm.render = cpu, logs why, and renders sessions.
// With a device that opens (the kernel emulator standing in for the driver here), the same
// silo advertises cuda and its sessions render through the CUDA backend.
using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.TestingHost;
using Rtfm.Core.Geometry;
using Rtfm.Cuda.Devices;
using Rtfm.Cuda.Emulation;
using Rtfm.Grains.Abstractions;
using Rtfm.Grains.Hosting;
using Rtfm.Grains.Placement;
using Rtfm.Grains.Services;
using Rtfm.Grains.Worlds;

namespace Rtfm.Grains.Tests;

public sealed class CudaSiloTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("rtfm-cuda-silo-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task A_cuda_silo_without_a_gpu_starts_as_a_cpu_silo_and_says_why()
    {
        var logs = new CapturingLoggerProvider();
        // Ordinal 999 cannot exist: where a driver is installed the open still fails, so the
        // fallback is what is tested on every machine (here: no driver at all).
        await using var cluster = await StartAsync(logs, o => o.DeviceOrdinal = 999);
        var silo = (InProcessSiloHandle)cluster.Silos.Single();

        var selection = silo.ServiceProvider.GetRequiredService<RenderBackendSelection>();
        Assert.Equal(("cuda", "cpu"), (selection.Requested, selection.Advertised));
        Assert.Contains("CudaException", selection.FallbackReason, StringComparison.Ordinal);
        Assert.Equal("cpu", Advertised(silo));
        var warning = Assert.Single(logs.Messages, m => m.Contains("Render = cuda was requested", StringComparison.Ordinal));
        Assert.Contains("renders on the CPU and advertises rtfm.render = cpu", warning, StringComparison.Ordinal);
        Assert.Contains(selection.FallbackReason!, warning, StringComparison.Ordinal);
        Assert.StartsWith("cpu-", silo.ServiceProvider.GetRequiredService<RenderEngine>().BackendName, StringComparison.Ordinal);

        await AssertASessionRendersAsync(cluster);
    }

    [Fact]
    public async Task A_cuda_silo_whose_device_opens_advertises_cuda_and_renders_on_it()
    {
        var logs = new CapturingLoggerProvider();
        await using var cluster = await StartAsync(logs, o => o.OpenDevice = () => new EmulatedDevice(Emulator.Value));
        var silo = (InProcessSiloHandle)cluster.Silos.Single();

        var selection = silo.ServiceProvider.GetRequiredService<RenderBackendSelection>();
        Assert.Equal(("cuda", "cuda", null), (selection.Requested, selection.Advertised, selection.FallbackReason));
        Assert.Equal("cuda", Advertised(silo));
        Assert.StartsWith("cuda-bf16 on emulator", silo.ServiceProvider.GetRequiredService<RenderEngine>().BackendName, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Messages, m => m.Contains("Render = cuda was requested", StringComparison.Ordinal));

        await AssertASessionRendersAsync(cluster);
    }

    private async Task<InProcessTestCluster> StartAsync(CapturingLoggerProvider logs, Action<CudaRenderOptions> cuda)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<ILoggerProvider>(logs);
            silo.AddRtfmPlatform(o =>
            {
                o.DataDirectory = _data;
                o.UntrainedConfig = ClusterFixture.SmallModel;
                o.Render = "cuda";
                cuda(o.Cuda);
            });
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private static string? Advertised(InProcessSiloHandle silo) =>
        silo.ServiceProvider.GetRequiredService<ISiloMetadataCache>().GetSiloMetadata(silo.SiloAddress).Metadata.GetValueOrDefault(RenderMetadata.Render);

    private static async Task AssertASessionRendersAsync(InProcessTestCluster cluster)
    {
        string world = "cuda-" + Guid.NewGuid().ToString("N")[..8];
        await cluster.Client.GetGrain<IWorldGrain>(world).CreateAsync(new WorldCreateRequest("ivy", [], null, SceneSeed: 3, SceneFrames: 2));
        var session = cluster.Client.GetGrain<ISessionGrain>(world + "-s");
        await session.OpenAsync(world);
        var step = await session.StepAsync(new StepRequest(0, Pose.LookAt(new(0.2f, 1.5f, 0.1f), new(0.5f, 1.4f, 4f)).ToDto()));
        Assert.True(step.Png.Length > 100, $"a rendered step should carry a PNG, got {step.Png.Length} bytes");
        await session.FlushAsync();
    }

    private static readonly Lazy<KernelEmulator> Emulator = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Rtfm.Platform.sln")))
                return KernelEmulator.Load(Path.Combine(dir.FullName, "kernels"), Path.Combine(dir.FullName, ".cache", "emu"));
        }
        throw new InvalidOperationException($"no Rtfm.Platform.sln above {AppContext.BaseDirectory}: the emulated-GPU silo test needs the repository's kernels/");
    });

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Queue { get; } = new();

        public IReadOnlyCollection<string> Messages => Queue.ToArray();

        public ILogger CreateLogger(string categoryName) => new Logger(Queue);

        public void Dispose()
        {
            // Nothing to release: messages stay readable after the silo stops.
        }

        private sealed class Logger(ConcurrentQueue<string> queue) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) queue.Enqueue(formatter(state, exception));
            }
        }
    }
}
