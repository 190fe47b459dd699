// An in-process Orleans test cluster running the platform on embedded stores in a temp folder.
// The model is a small untrained config so world creation stays fast.
using Orleans.TestingHost;
using Rtfm.Grains.Hosting;
using Rtfm.Model;

namespace Rtfm.Grains.Tests;

public sealed class ClusterFixture : IAsyncLifetime
{
    public static readonly ModelConfig SmallModel = new(ImageHeight: 32, ImageWidth: 32, Patch: 8, Width: 64, Depth: 2, Heads: 2, ContextFrames: 3, SamplerSteps: 2, TimeFrequencies: 32);

    /// <summary>Small, so the storage-outage test reaches the bound in a few steps.</summary>
    public const int MaxPendingFrames = 6;

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("rtfm-cluster-").FullName;

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(1);
        builder.Properties["rtfm:data"] = DataDirectory;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        Directory.Delete(DataDirectory, recursive: true);
    }

    /// <summary>Stops every silo and starts a new one on the same stores (a restart).</summary>
    public async Task RestartAsync()
    {
        foreach (var silo in Cluster.Silos.ToArray()) await Cluster.StopSiloAsync(silo);
        await Cluster.StartAdditionalSiloAsync();
        await Cluster.InitializeClientAsync();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            string data = siloBuilder.Configuration["rtfm:data"] ?? throw new InvalidOperationException("test cluster property rtfm:data is missing");
            siloBuilder.AddRtfmPlatform(o =>
            {
                o.DataDirectory = data;
                o.UntrainedConfig = SmallModel;
                o.WriteBehind.MaxPendingFrames = MaxPendingFrames;
            });
        }
    }
}

[CollectionDefinition(nameof(ClusterCollection))]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>;
