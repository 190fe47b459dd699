// The platform on blob storage (an Azurite process of this test's own): a silo restarted with
// nothing on its disk resumes a world from blob; a corrupt KV blob is detected, recomputed from
// its frame and healed in place (same bytes); with storage stopped for 30 s mid-session rendering
// never stops and every kept frame lands once storage is back.
using Orleans.TestingHost;
using Rtfm.Grains.Abstractions;
using Rtfm.Grains.Hosting;
using Rtfm.Grains.Worlds;
using Rtfm.Scenes;
using Rtfm.Tests.Shared;
using Xunit.Abstractions;

namespace Rtfm.Grains.Tests;

public sealed class DurableWorldTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>The outage the issue names: storage stopped for 30 s in the middle of a session.</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);

    private readonly AzuriteProcess _azurite = new();
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..10];
    private TestCluster _cluster = null!;

    private IGrainFactory Grains => _cluster.GrainFactory;

    public async Task InitializeAsync()
    {
        await _azurite.StartAsync();
        var builder = new TestClusterBuilder(1);
        builder.Properties["rtfm:blob"] = _azurite.ConnectionString;
        builder.Properties["rtfm:suffix"] = _suffix;
        builder.Properties["rtfm:data"] = Directory.CreateTempSubdirectory("rtfm-durable-").FullName;
        builder.AddSiloBuilderConfigurator<BlobSiloConfigurator>();
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        _azurite.Dispose();
    }

    private sealed class BlobSiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            string suffix = siloBuilder.Configuration["rtfm:suffix"]!;
            siloBuilder.AddRtfmPlatform(o =>
            {
                o.Storage = RtfmPlatformOptions.BlobStorage;
                o.BlobConnectionString = siloBuilder.Configuration["rtfm:blob"];
                o.BlobStateContainer = $"state-{suffix}";
                o.BlobContentContainer = $"content-{suffix}";
                o.DataDirectory = siloBuilder.Configuration["rtfm:data"]!; // unused with blob storage
                o.UntrainedConfig = ClusterFixture.SmallModel;
                o.HealthReportInterval = TimeSpan.FromMilliseconds(200);
            });
        }
    }

    /// <summary>Replaces the silo by a new one (fresh memory, nothing on disk that matters).</summary>
    private async Task NewSiloAsync()
    {
        foreach (var silo in _cluster.Silos.ToArray()) await _cluster.StopSiloAsync(silo);
        await _cluster.StartAdditionalSiloAsync();
        await _cluster.InitializeClientAsync();
    }

    private async Task<List<StepResult>> PlayAsync(string worldId, ISessionGrain session, IReadOnlyList<Rtfm.Core.Geometry.Pose> poses, int firstSequence = 0)
    {
        await session.OpenAsync(worldId);
        var results = new List<StepResult>();
        for (int i = 0; i < poses.Count; i++) results.Add(await session.StepAsync(new StepRequest(firstSequence + i, poses[i].ToDto())));
        await session.FlushAsync();
        return results;
    }

    [Fact]
    public async Task A_new_silo_resumes_the_world_from_blob_and_a_corrupt_kv_blob_is_detected_recomputed_and_healed()
    {
        string id = "durable-" + _suffix;
        var world = Grains.GetGrain<IWorldGrain>(id);
        await world.CreateAsync(new WorldCreateRequest("kim", [], null, SceneSeed: 3, SceneFrames: 2, TileSize: 2f));
        var poses = Trajectories.Walk(SceneGenerator.Generate(3), 12, 3);
        var first = await PlayAsync(id, Grains.GetGrain<ISessionGrain>("s1-" + _suffix), poses);
        var info = await world.GetInfoAsync();

        // Corrupt one stored KV block in blob storage (flip bytes in place).
        var tiles = await world.ListTilesAsync();
        var frames = (await Task.WhenAll(tiles.Select(t => Grains.GetGrain<ISpatialTileGrain>(t.Key(id)).GetFramesAsync()))).SelectMany(f => f).ToList();
        var victim = frames.First(f => f.KvName is not null);
        var container = new Azure.Storage.Blobs.BlobContainerClient(_azurite.ConnectionString, $"content-{_suffix}");
        var blob = container.GetBlobClient($"worlds/{id}/{victim.KvName}");
        byte[] original = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        byte[] corrupt = (byte[])original.Clone();
        for (int i = 100; i < 200; i++) corrupt[i] ^= 0x5a;
        await blob.UploadAsync(new BinaryData(corrupt), overwrite: true);

        // A new silo: nothing in memory, state and content come from blob.
        await NewSiloAsync();
        var resumed = await Grains.GetGrain<IWorldGrain>(id).GetInfoAsync();
        Assert.Equal(info.FrameCount, resumed.FrameCount);
        Assert.Equal(info.TileCount, resumed.TileCount);
        var replay = await PlayAsync(id, Grains.GetGrain<ISessionGrain>("s2-" + _suffix), poses);
        for (int i = 0; i < poses.Count; i++)
            Assert.True(first[i].Png.AsSpan().SequenceEqual(replay[i].Png), $"pose {i} differs after resuming on a new silo");

        // A pose next to the damaged frame needs its block: the corruption is detected (never used),
        // the block recomputed from the frame, and the stored blob healed with the same bytes.
        var near = victim.Pose.ToPose("victim") is var vp ? vp with { Position = vp.Position + new System.Numerics.Vector3(0.05f, 0, 0) } : default;
        var check = Grains.GetGrain<ISessionGrain>("s3-" + _suffix);
        await check.OpenAsync(id);
        var step = await check.StepAsync(new StepRequest(0, near.ToDto()));
        Assert.False(step.FromMemory);
        Assert.Contains(victim.FrameId, step.ContextFrameIds);
        byte[] healed = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        Assert.True(original.AsSpan().SequenceEqual(healed), "the corrupt KV blob was not replaced by the recomputed (identical) block");
        Assert.True(Rtfm.Storage.ContentName.Parse(victim.KvName!).Matches(healed));
    }

    /// <summary>The cluster health board's report of the (only) silo once it shows the wanted state.</summary>
    private async Task<SiloHealth> WaitForHealthAsync(bool degraded, int? pendingFrames = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var silos = await Grains.GetGrain<IClusterHealthGrain>(IClusterHealthGrain.Key).GetAsync();
            var latest = silos.OrderByDescending(s => s.ReportedAt).FirstOrDefault();
            if (latest is not null && latest.Degraded == degraded && (pendingFrames is null || latest.PendingFrames == pendingFrames)) return latest;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"health did not turn {(degraded ? "degraded" : "healthy")} within 20 s: {latest}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task With_blob_storage_stopped_for_30_s_rendering_never_stops_and_every_kept_frame_lands_afterwards()
    {
        string id = "outage-" + _suffix;
        var world = Grains.GetGrain<IWorldGrain>(id);
        await world.CreateAsync(new WorldCreateRequest("lee", [], null, SceneSeed: 12, SceneFrames: 1, TileSize: 2f));
        var walk = Trajectories.RandomWalk(SceneGenerator.Generate(12), 400, 12);
        var session = Grains.GetGrain<ISessionGrain>("out-" + _suffix);
        await session.OpenAsync(id);
        var results = new List<StepResult>();
        int seq = 0;
        for (; seq < 5; seq++) results.Add(await session.StepAsync(new StepRequest(seq, walk[seq].ToDto())));
        await session.FlushAsync();

        _azurite.Stop();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int duringOutage = 0;
        while (clock.Elapsed < Outage && seq < walk.Count)
        {
            results.Add(await session.StepAsync(new StepRequest(seq, walk[seq].ToDto()))); // never throws: rendering goes on
            seq++;
            duringOutage++;
            await Task.Delay(100); // an interactive pace, ~10 frames/s
        }
        var degraded = await session.GetInfoAsync();
        output.WriteLine($"{duringOutage} steps rendered during a {Outage.TotalSeconds:F0} s outage; {degraded.PendingFrames} kept frames queued ({degraded.WriteError})");
        Assert.True(duringOutage > 50, $"only {duringOutage} steps in {Outage.TotalSeconds} s");
        Assert.True(degraded.PendingFrames > 0, "a walk through new space keeps frames, which must queue while storage is down");
        Assert.NotNull(degraded.WriteError);
        var board = await WaitForHealthAsync(degraded: true);
        Assert.True(board.PendingFrames > 0 && !board.StorageHealthy, $"health during the outage: {board}");

        await _azurite.StartAsync();
        var recovery = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try { await session.FlushAsync(); break; }
            catch (InvalidOperationException) when (recovery.Elapsed < TimeSpan.FromSeconds(60)) { await Task.Delay(250); } // the breaker's open interval
        }
        output.WriteLine($"queue flushed {recovery.Elapsed.TotalSeconds:F1} s after storage came back");
        Assert.Equal(0, (await session.GetInfoAsync()).PendingFrames);
        var healthy = await WaitForHealthAsync(degraded: false, pendingFrames: 0);
        Assert.Null(healthy.LastError);
        int kept = results.Count(r => r.WrittenBack);
        Assert.Equal(1 + kept, (await world.GetInfoAsync()).FrameCount);

        // Everything landed in blob: a new silo sees every kept frame and serves each kept pose from memory.
        await NewSiloAsync();
        Assert.Equal(1 + kept, (await Grains.GetGrain<IWorldGrain>(id).GetInfoAsync()).FrameCount);
        var check = Grains.GetGrain<ISessionGrain>("check-" + _suffix);
        await check.OpenAsync(id);
        int n = 0;
        for (int i = 0; i < results.Count; i++)
        {
            if (!results[i].WrittenBack) continue;
            var again = await check.StepAsync(new StepRequest(n++, walk[i].ToDto()));
            Assert.True(again.FromMemory, $"kept frame of step {i} is missing after the outage");
            Assert.True(results[i].Png.AsSpan().SequenceEqual(again.Png), $"kept frame of step {i} differs");
        }
    }
}
