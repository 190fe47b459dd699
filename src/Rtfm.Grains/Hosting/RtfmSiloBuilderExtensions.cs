// Registers the platform on a silo: grain state and per-world content stores (embedded: local
// files; durable: Azure Blob storage, so any node resumes any world), the render model and
// engine, placement. The grains do not know which stores they run on.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Persistence.FileStorage;
using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Rtfm.Cuda.Devices;
using Rtfm.Cuda.Kernels;
using Rtfm.Grains.Placement;
using Rtfm.Persistence.AzureBlob.Hosting;
using Rtfm.Grains.Services;
using Rtfm.Grains.Worlds;
using Rtfm.Model;
using Rtfm.Model.Weights;

namespace Rtfm.Grains.Hosting;

public sealed class RtfmPlatformOptions
{
    public const string FileStorage = "file";
    public const string BlobStorage = "blob";

    /// <summary>"file" (embedded default: DataDirectory on this machine) or "blob" (Azure Blob storage: any node resumes any world).</summary>
    public string Storage { get; set; } = FileStorage;

    /// <summary>Azure Storage connection string for "blob" (Azurite: UseDevelopmentStorage=true or its documented account string).</summary>
    public string? BlobConnectionString { get; set; }

    /// <summary>Container of grain state blobs for "blob".</summary>
    public string BlobStateContainer { get; set; } = "rtfm-state";

    /// <summary>Container of frames and KV blocks for "blob" (one prefix per world).</summary>
    public string BlobContentContainer { get; set; } = "rtfm-content";

    /// <summary>Root folder of the embedded stores: DATA/state (grain state), DATA/content (frames, KV blocks).</summary>
    public string DataDirectory { get; set; } = Path.Combine(Environment.CurrentDirectory, "rtfm-data");

    /// <summary>Model weights (.safetensors + card); null = a seeded random (untrained) init of the tiny config.</summary>
    public string? WeightsPath { get; set; }

    /// <summary>Seed of the random init when no weights are given (its model id says it: untrained-seedN).</summary>
    public int UntrainedSeed { get; set; } = 1;

    /// <summary>Config of the random init when no weights are given.</summary>
    public ModelConfig UntrainedConfig { get; set; } = ModelConfig.Tiny;

    /// <summary>The silo's render queue and KV cache.</summary>
    public RenderEngineOptions Engine { get; set; } = new();

    /// <summary>How often the silo reports its health to the cluster health grain (`rtfm health`).</summary>
    public TimeSpan HealthReportInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Bounds of each session's write-behind queue.</summary>
    public WriteBehindOptions WriteBehind { get; set; } = new();

    /// <summary>
    /// What this silo renders with, advertised in its silo metadata: "cpu" (default), "cuda" (a
    /// GPU; falls back to cpu, advertised and logged, when none can be opened) or "none" (hosts
    /// worlds and tiles only).
    /// </summary>
    public string Render { get; set; } = "cpu";

    /// <summary>The GPU, kernels and CUBIN cache of a Render = cuda silo.</summary>
    public CudaRenderOptions Cuda { get; set; } = new();

    /// <summary>Concurrent sessions a CPU silo is sized for (advertised as rtfm.capacity; a GPU silo advertises what its free memory holds, docs/cuda.md).</summary>
    public int Capacity { get; set; } = 4;
}

public static class RtfmSiloBuilderExtensions
{
    public static ISiloBuilder AddRtfmPlatform(this ISiloBuilder builder, Action<RtfmPlatformOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new RtfmPlatformOptions();
        configure(options);
        if (string.IsNullOrWhiteSpace(options.DataDirectory)) throw new ArgumentException("RtfmPlatformOptions.DataDirectory is empty: set a folder for grain state and content");
        if (options.Storage is not (RtfmPlatformOptions.FileStorage or RtfmPlatformOptions.BlobStorage))
            throw new ArgumentException($"RtfmPlatformOptions.Storage '{options.Storage}' must be {RtfmPlatformOptions.FileStorage} or {RtfmPlatformOptions.BlobStorage}");
        if (options.Render is not ("cpu" or "cuda" or "none")) throw new ArgumentException($"RtfmPlatformOptions.Render '{options.Render}' must be cpu, cuda or none");
        string root = Path.GetFullPath(options.DataDirectory);
        // Decided before the metadata is set: a cuda silo without a usable GPU advertises cpu.
        // The weights are loaded here, not on first use: a GPU silo sizes its sessions by the model.
        var platformModel = new PlatformModel(options.WeightsPath is null
            ? ModelWeights.RandomInit(options.UntrainedConfig, seed: (ulong)options.UntrainedSeed)
            : ModelWeights.Load(options.WeightsPath));
        var cuda = options.Cuda;
        var backend = RenderBackendSelection.Select(options.Render, cuda.OpenDevice ?? (() => DriverDevice.Open(
            cuda.DeviceOrdinal,
            cuda.KernelDirectory ?? KernelCatalog.ShippedDirectory,
            new CubinCache(cuda.CubinCacheDirectory ?? Path.Combine(root, "cache", "cubin")))), platformModel.Config, cuda.Gemm, cuda.Memory);
        builder.Services.AddSingleton(backend);
        // A GPU silo advertises the sessions its free memory holds; a CPU silo the configured number.
        int capacity = backend.Capacity?.Sessions ?? options.Capacity;
        builder.UseSiloMetadata(new Dictionary<string, string>
        {
            [RenderMetadata.Render] = backend.Advertised,
            [RenderMetadata.Capacity] = capacity.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.Services.AddPlacementFilter<RenderCapableFilterStrategy, RenderCapableFilterDirector>(ServiceLifetime.Singleton);
        if (options.Storage == RtfmPlatformOptions.BlobStorage)
        {
            if (string.IsNullOrWhiteSpace(options.BlobConnectionString))
                throw new ArgumentException("RtfmPlatformOptions.BlobConnectionString is empty: blob storage needs a connection string (Azurite: UseDevelopmentStorage=true)");
            builder.AddAzureBlobGrainStorage(RtfmStorageNames.State, o =>
            {
                o.ConnectionString = options.BlobConnectionString;
                o.ContainerName = options.BlobStateContainer;
            });
            builder.Services.AddAzureBlobContentStores(o =>
            {
                o.ConnectionString = options.BlobConnectionString;
                o.ContainerName = options.BlobContentContainer;
            });
            builder.Services.AddSingleton<IWorldContentStores, BlobWorldContentStores>();
            builder.Services.AddSingleton(sp => new PlatformHealth(options.Render, options.Storage, sp.GetRequiredService<Rtfm.Persistence.AzureBlob.Storage.AzureBlobContentStores>()));
        }
        else
        {
            builder.AddFileGrainStorage(RtfmStorageNames.State, o => o.RootDirectory = Path.Combine(root, "state"));
            builder.Services.AddSingleton<IWorldContentStores>(new FileWorldContentStores(Path.Combine(root, "content")));
            builder.Services.AddSingleton(new PlatformHealth(options.Render, options.Storage));
        }
        if (options.HealthReportInterval < TimeSpan.FromMilliseconds(100)) throw new ArgumentException("RtfmPlatformOptions.HealthReportInterval must be at least 100 ms");
        builder.Services.AddSingleton(new HealthReportOptions { Interval = options.HealthReportInterval });
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, HealthReporter>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        RtfmClusteringExtensions.AllowPlatformExceptions(builder.Services);
        builder.Services.AddSingleton(platformModel);
        builder.Services.AddSingleton(options.Engine);
        if (options.WriteBehind.MaxPendingFrames < 1 || options.WriteBehind.MaxPendingViews < 1)
            throw new ArgumentException("RtfmPlatformOptions.WriteBehind bounds must be at least 1");
        builder.Services.AddSingleton(options.WriteBehind);
        builder.Services.AddSingleton<BackgroundWork>();
        builder.Services.AddSingleton<RenderEngine>();
        if (options.Render != "none") builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, RenderEngineWarmUp>();
        return builder;
    }
}
