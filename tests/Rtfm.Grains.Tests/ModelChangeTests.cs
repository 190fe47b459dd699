// KV blocks are tagged with the model that made them: a world reopened by a cluster running
// another model recomputes each block it needs from the frame (never uses the stale one) and
// stores the new block beside the frame, tagged with the new model.
using Orleans.TestingHost;
using Rtfm.Grains.Abstractions;
using Rtfm.Grains.Hosting;
using Rtfm.Grains.Worlds;
using Rtfm.Scenes;

namespace Rtfm.Grains.Tests;

public sealed class ModelChangeTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("rtfm-model-change-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private sealed class Configurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder.AddRtfmPlatform(o =>
        {
            o.DataDirectory = siloBuilder.Configuration["rtfm:data"]!;
            o.UntrainedConfig = ClusterFixture.SmallModel;
            o.UntrainedSeed = int.Parse(siloBuilder.Configuration["rtfm:seed"]!, System.Globalization.CultureInfo.InvariantCulture);
        });
    }

    private async Task<TestCluster> StartAsync(int modelSeed)
    {
        var builder = new TestClusterBuilder(1);
        builder.Options.ServiceId = "model-change"; // grain state is keyed by the service id: same service, new cluster
        builder.Properties["rtfm:data"] = _data;
        builder.Properties["rtfm:seed"] = modelSeed.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.AddSiloBuilderConfigurator<Configurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private static async Task<List<FrameRecord>> FramesAsync(IGrainFactory grains, string worldId)
    {
        var tiles = await grains.GetGrain<IWorldGrain>(worldId).ListTilesAsync();
        return (await Task.WhenAll(tiles.Select(t => grains.GetGrain<ISpatialTileGrain>(t.Key(worldId)).GetFramesAsync()))).SelectMany(f => f).ToList();
    }

    [Fact]
    public async Task A_world_opened_with_a_new_model_recomputes_its_kv_blocks_from_the_frames()
    {
        const string id = "model-change";
        var poses = Trajectories.Walk(SceneGenerator.Generate(5), 10, 5);
        List<FrameRecord> before;
        string oldModel;
        await using (var first = await StartAsync(modelSeed: 1))
        {
            await first.GrainFactory.GetGrain<IWorldGrain>(id).CreateAsync(new WorldCreateRequest("max", [], null, SceneSeed: 5, SceneFrames: 2, TileSize: 2f));
            var session = first.GrainFactory.GetGrain<ISessionGrain>("s1");
            oldModel = (await session.OpenAsync(id)).ModelId;
            for (int i = 0; i < poses.Count; i++) await session.StepAsync(new StepRequest(i, poses[i].ToDto()));
            await session.FlushAsync();
            before = await FramesAsync(first.GrainFactory, id);
            await first.StopAllSilosAsync();
        }
        var kept = before.Where(f => f.KvName is not null).ToList();
        Assert.NotEmpty(kept);
        Assert.All(kept, f => Assert.Equal(oldModel, f.KvModelVersion));

        await using var second = await StartAsync(modelSeed: 2);
        var next = second.GrainFactory.GetGrain<ISessionGrain>("s2");
        string newModel = (await next.OpenAsync(id)).ModelId;
        Assert.NotEqual(oldModel, newModel);
        // Poses next to each kept frame: every block they use must come from the new model.
        for (int i = 0; i < kept.Count; i++)
        {
            var p = kept[i].Pose;
            var r = await next.StepAsync(new StepRequest(i, p with { X = p.X + 0.05f }));
            Assert.Contains(kept[i].FrameId, r.ContextFrameIds);
        }
        await next.FlushAsync();
        var after = (await FramesAsync(second.GrainFactory, id)).ToDictionary(f => f.FrameId);
        foreach (var f in kept)
        {
            Assert.Equal(newModel, after[f.FrameId].KvModelVersion);
            Assert.NotEqual(f.KvName, after[f.FrameId].KvName);
        }
    }
}
