// Two silos, only one of which renders: every session lands on the render silo, while worlds
// and tiles may live on either.
using Orleans.TestingHost;
using Rtfm.Grains.Abstractions;
using Rtfm.Grains.Hosting;

namespace Rtfm.Grains.Tests;

public sealed class PlacementTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("rtfm-placement-").FullName;
    private readonly Dictionary<string, string> _renderBySilo = [];
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((options, silo) =>
        {
            // The first silo hosts worlds only; the others render.
            string render = _renderBySilo.Count == 0 ? "none" : "cpu";
            _renderBySilo[options.SiloName] = render;
            silo.AddRtfmPlatform(o =>
            {
                o.DataDirectory = _data;
                o.UntrainedConfig = ClusterFixture.SmallModel;
                o.Render = render;
            });
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task Every_session_lands_on_the_render_capable_silo()
    {
        Assert.Equal(2, _cluster.Silos.Count);
        var renderSilo = _cluster.Silos.Single(s => _renderBySilo.TryGetValue(s.Name, out var r) && r == "cpu");
        var grains = _cluster.Client;
        await grains.GetGrain<IWorldGrain>("placed").CreateAsync(new WorldCreateRequest("ivy", [], null, SceneSeed: 1, SceneFrames: 2));
        for (int i = 0; i < 12; i++)
        {
            var info = await grains.GetGrain<ISessionGrain>($"placement-{i}").OpenAsync("placed");
            Assert.Equal(renderSilo.SiloAddress.ToString(), info.Silo);
        }
    }
}
