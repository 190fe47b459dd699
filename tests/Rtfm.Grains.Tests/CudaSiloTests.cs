// Render = "cuda" silos. Without a usable GPU (this machine and CI have none) the silo starts
// anyway as a CPU render silo: it advertises rtfm.render = cpu, logs why, and renders sessions.
// With a device that opens (the kernel emulator standing in for the driver here), the same
// silo advertises cuda and the session capacity its free memory holds, and its sessions render
// through the CUDA backend. A CUDA error that leaves the device unusable, injected into a launch
// of a session's step, fails that step over to the CPU engine (the frame still arrives), retires
// the GPU for later steps, and shows on the cluster's health board.
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
        // Capacity from the emulated device's free memory (16 GiB by default), capped at 64 sessions.
        var capacity = selection.Capacity!;
        Assert.Equal(64, capacity.Sessions);
        Assert.Equal("64", Metadata(silo, RenderMetadata.Capacity));
        Assert.Contains(logs.Messages, m => m.Contains("sized from its free memory: 64 sessions", StringComparison.Ordinal));

        await AssertASessionRendersAsync(cluster);
        var gpu = silo.ServiceProvider.GetRequiredService<RenderEngine>().Gpu!;
        Assert.True(gpu.Kv.Stats.Hits + gpu.Kv.Stats.Misses > 0, "the session's render should read its context through the device KV cache");
    }

    [Fact]
    public async Task A_cuda_silo_advertises_the_sessions_its_free_memory_holds_and_falls_back_when_none_fits()
    {
        var logs = new CapturingLoggerProvider();
        var config = ClusterFixture.SmallModel;
        var memory = new EmulatedDeviceOptions { TotalBytes = 2L << 20 };
        await using (var cluster = await StartAsync(logs, o => o.OpenDevice = () => new EmulatedDevice(Emulator.Value, memory)))
        {
            var silo = (InProcessSiloHandle)cluster.Silos.Single();
            var capacity = silo.ServiceProvider.GetRequiredService<RenderBackendSelection>().Capacity!;
            var expected = Rtfm.Cuda.Backend.CudaCapacity.Compute(new DeviceMemoryInfo(2L << 20, 2L << 20), config, Rtfm.Cuda.Backend.GemmPrecision.Bf16, new());
            Assert.Equal(expected, capacity);
            Assert.InRange(capacity.Sessions, 2, 63); // memory, not the cap, decides here
            Assert.Equal(capacity.Sessions.ToString(System.Globalization.CultureInfo.InvariantCulture), Metadata(silo, RenderMetadata.Capacity));
        }

        var tooSmall = new EmulatedDeviceOptions { TotalBytes = 256L << 10 };
        await using (var cluster = await StartAsync(logs, o => o.OpenDevice = () => new EmulatedDevice(Emulator.Value, tooSmall)))
        {
            var silo = (InProcessSiloHandle)cluster.Silos.Single();
            var selection = silo.ServiceProvider.GetRequiredService<RenderBackendSelection>();
            Assert.Equal("cpu", Advertised(silo));
            Assert.Contains("cannot hold one session", selection.FallbackReason, StringComparison.Ordinal);
            Assert.Equal("4", Metadata(silo, RenderMetadata.Capacity)); // the CPU silo's configured capacity
        }
    }

    [Fact]
    public async Task A_cuda_error_in_a_step_fails_it_over_to_the_cpu_engine_and_the_silo_reports_the_degraded_gpu()
    {
        var logs = new CapturingLoggerProvider();
        var device = new EmulatedDevice(Emulator.Value);
        await using var cluster = await StartAsync(logs, o => o.OpenDevice = () => device, healthEvery: TimeSpan.FromMilliseconds(100));
        var silo = (InProcessSiloHandle)cluster.Silos.Single();
        var engine = silo.ServiceProvider.GetRequiredService<RenderEngine>();
        string world = "cuda-fault-" + Guid.NewGuid().ToString("N")[..8];
        await cluster.Client.GetGrain<IWorldGrain>(world).CreateAsync(new WorldCreateRequest("ivy", [], null, SceneSeed: 3, SceneFrames: 2));
        var session = cluster.Client.GetGrain<ISessionGrain>(world + "-s");
        await session.OpenAsync(world);
        var first = await session.StepAsync(new StepRequest(0, Pose.LookAt(new(0.2f, 1.5f, 0.1f), new(0.5f, 1.4f, 4f)).ToDto()));
        Assert.False(first.FromMemory);
        Assert.StartsWith("cuda-", engine.BackendName, StringComparison.Ordinal);
        await session.FlushAsync(); // the kept frame's encode is done: the next launches are the next step's
        long launches = device.Launches;

        device.InjectFault(3); // the third kernel of the next step's render reads an illegal address
        var second = await session.StepAsync(new StepRequest(1, Pose.LookAt(new(0.3f, 1.5f, 0.4f), new(-1.5f, 1.4f, 4f)).ToDto()));

        Assert.False(second.FromMemory);
        Assert.True(second.Png.Length > 100 && second.Png.AsSpan(1, 3).SequenceEqual("PNG"u8), "the failed-over step must still carry its frame");
        Assert.True(device.Launches >= launches + 3, "the fault must have been reached on the GPU");
        Assert.StartsWith("CUDA_ERROR_ILLEGAL_ADDRESS during render", engine.GpuFault, StringComparison.Ordinal);
        Assert.StartsWith("cpu-", engine.BackendName, StringComparison.Ordinal);
        var retired = Assert.Single(logs.Messages, m => m.Contains("leaves the GPU unusable", StringComparison.Ordinal));
        Assert.Contains("CUDA_ERROR_ILLEGAL_ADDRESS", retired, StringComparison.Ordinal);
        Assert.Contains("every later one render on the CPU engine", retired, StringComparison.Ordinal);

        // Later steps render on the CPU engine without touching the device again.
        long afterFault = device.Launches;
        var third = await session.StepAsync(new StepRequest(2, Pose.LookAt(new(-0.4f, 1.5f, -0.3f), new(2f, 1.4f, -4f)).ToDto()));
        Assert.True(third.Png.Length > 100);
        Assert.Equal(afterFault, device.Launches);

        // The health board shows the degraded GPU (reports every 100 ms here).
        var board = cluster.Client.GetGrain<IClusterHealthGrain>(IClusterHealthGrain.Key);
        SiloHealth? mine = null;
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(10) && mine?.RenderFault is null;)
        {
            mine = (await board.GetAsync()).SingleOrDefault();
            if (mine?.RenderFault is null) await Task.Delay(50);
        }
        Assert.True(mine?.RenderFault is not null, $"no health report with the GPU fault within 10 s (last: {mine})");
        Assert.True(mine!.Degraded);
        Assert.Contains("CUDA_ERROR_ILLEGAL_ADDRESS", mine.RenderFault, StringComparison.Ordinal);
        await session.FlushAsync();
    }

    [Fact]
    public async Task A_gpu_whose_weights_cannot_be_uploaded_leaves_the_silo_rendering_on_the_cpu_and_degraded()
    {
        var logs = new CapturingLoggerProvider();
        await using var cluster = await StartAsync(logs, o => o.OpenDevice = () => new NoMemoryDevice(new EmulatedDevice(Emulator.Value)));
        var silo = (InProcessSiloHandle)cluster.Silos.Single();
        var engine = silo.ServiceProvider.GetRequiredService<RenderEngine>();

        Assert.Equal("cuda", Advertised(silo)); // opened and sized before the weights were uploaded
        Assert.Null(engine.Gpu);
        Assert.StartsWith("cpu-", engine.BackendName, StringComparison.Ordinal);
        Assert.Contains("CUDA_ERROR_OUT_OF_MEMORY", engine.GpuFault, StringComparison.Ordinal);
        Assert.Contains("the GPU render pool could not start", silo.ServiceProvider.GetRequiredService<PlatformHealth>().RenderFault, StringComparison.Ordinal);
        Assert.Contains(logs.Messages, m => m.Contains("Render = cuda was requested", StringComparison.Ordinal) && m.Contains("CUDA_ERROR_OUT_OF_MEMORY", StringComparison.Ordinal));

        await AssertASessionRendersAsync(cluster);
    }

    /// <summary>A device that opens and reports free memory but has none to give (cuMemAlloc fails).</summary>
    private sealed class NoMemoryDevice(ICudaDevice inner) : ICudaDevice
    {
        public string Name => inner.Name;

        public DeviceMemory Allocate(long bytes) =>
            throw new Rtfm.Cuda.CudaException($"cuMemAlloc({bytes}) failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory", $"cuMemAlloc({bytes})", "CUDA_ERROR_OUT_OF_MEMORY", 2);

        public void Upload<T>(DeviceMemory destination, long offset, ReadOnlySpan<T> source) where T : unmanaged => inner.Upload(destination, offset, source);

        public void Download<T>(DeviceMemory source, long offset, Span<T> destination) where T : unmanaged => inner.Download(source, offset, destination);

        public void Copy(DeviceMemory source, long sourceOffset, DeviceMemory destination, long destinationOffset, long bytes) => inner.Copy(source, sourceOffset, destination, destinationOffset, bytes);

        public void Fill(DeviceMemory memory, byte value) => inner.Fill(memory, value);

        public void Launch<TParams>(string kernel, Rtfm.Cuda.Dim3 grid, Rtfm.Cuda.Dim3 block, uint dynamicSharedBytes, in TParams parameters) where TParams : unmanaged =>
            inner.Launch(kernel, grid, block, dynamicSharedBytes, parameters);

        public void Synchronize() => inner.Synchronize();

        public DeviceMemoryInfo MemoryInfo() => inner.MemoryInfo();

        public ICudaDevice WithNewStream() => new NoMemoryDevice(inner.WithNewStream());

        public void Dispose() => inner.Dispose();
    }

    private async Task<InProcessTestCluster> StartAsync(CapturingLoggerProvider logs, Action<CudaRenderOptions> cuda, TimeSpan? healthEvery = null)
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
                if (healthEvery is { } every) o.HealthReportInterval = every;
                cuda(o.Cuda);
            });
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private static string? Advertised(InProcessSiloHandle silo) => Metadata(silo, RenderMetadata.Render);

    private static string? Metadata(InProcessSiloHandle silo, string key) =>
        silo.ServiceProvider.GetRequiredService<ISiloMetadataCache>().GetSiloMetadata(silo.SiloAddress).Metadata.GetValueOrDefault(key);

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
