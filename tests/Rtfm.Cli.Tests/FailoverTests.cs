// Two real silo processes in one Redis-clustered cluster sharing one store: a session keeps
// going when the silo hosting it stops (gracefully) or is killed (-9). Needs redis-server:
// ./test.sh starts one and exports RTFM_TEST_REDIS (host:port).
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rtfm.Cli.Cluster;
using Rtfm.Grains.Abstractions;
using Rtfm.Grains.Hosting;
using Rtfm.Grains.Worlds;
using Rtfm.Scenes;
using Xunit.Abstractions;

namespace Rtfm.Cli.Tests;

public sealed class FailoverTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rtfm-failover-").FullName;
    private readonly string _clusterId = "failover-" + Guid.NewGuid().ToString("N")[..8];

    private static string Redis =>
        Environment.GetEnvironmentVariable("RTFM_TEST_REDIS") is { Length: > 0 } r
            ? r
            : throw new InvalidOperationException("RTFM_TEST_REDIS is not set: run the tests through ./test.sh, which starts redis-server, or start one and export RTFM_TEST_REDIS=127.0.0.1:PORT");

    private RtfmClusterOptions Cluster => new() { Clustering = RtfmClusterOptions.Redis, RedisConnectionString = Redis, ClusterId = _clusterId };

    private async Task<(SiloProcess A, SiloProcess B)> StartTwoSilosAsync()
    {
        string[] settings = ["--Cluster:Clustering=redis", $"--Cluster:RedisConnectionString={Redis}", $"--Cluster:ClusterId={_clusterId}"];
        string data = Path.Combine(_dir, "data"); // one store for both: on one machine a shared folder, across machines blob storage
        var started = await Task.WhenAll(SiloProcess.StartAsync(data, settings), SiloProcess.StartAsync(data, settings));
        return (started[0], started[1]);
    }

    private async Task<IHost> ConnectAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(c => c.UseRtfmClustering(Cluster, 0));
        var host = builder.Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return host;
    }

    private static SiloProcess Hosting(SessionInfo info, SiloProcess a, SiloProcess b) =>
        info.Silo.Contains($":{a.SiloPort}:", StringComparison.Ordinal) ? a
        : info.Silo.Contains($":{b.SiloPort}:", StringComparison.Ordinal) ? b
        : throw new InvalidOperationException($"session silo {info.Silo} is neither {a.SiloPort} nor {b.SiloPort}");

    [Fact]
    public async Task A_killed_silo_hosting_a_session_fails_over_to_the_other_silo()
    {
        var (a, b) = await StartTwoSilosAsync();
        using var _ = a;
        using var __ = b;
        using var client = await ConnectAsync();
        var grains = client.Services.GetRequiredService<IGrainFactory>();
        string worldId = "crash-world";
        await grains.GetGrain<IWorldGrain>(worldId).CreateAsync(new WorldCreateRequest("ops", [], null, SceneSeed: 6, SceneFrames: 2));
        var poses = Trajectories.Walk(SceneGenerator.Generate(6), 24, 6);
        var session = grains.GetGrain<ISessionGrain>("crash-session");
        var opened = await session.OpenAsync(worldId);
        var resilient = new ResilientSession(session, TimeSpan.FromSeconds(60), m => output.WriteLine(m));
        var before = new List<StepResult>();
        for (int i = 0; i < 10; i++) before.Add(await resilient.StepAsync(new StepRequest(i, poses[i].ToDto())));
        await resilient.FlushAsync(); // the recovery point: everything up to here is durable
        var unflushed = await resilient.StepAsync(new StepRequest(10, poses[10].ToDto()));

        var victim = Hosting(opened, a, b);
        var survivor = victim == a ? b : a;
        var clock = Stopwatch.StartNew();
        victim.Kill();
        var next = await resilient.StepAsync(new StepRequest(11, poses[11].ToDto()));
        double failoverSeconds = clock.Elapsed.TotalSeconds;
        var info = await session.GetInfoAsync();
        output.WriteLine($"kill -9 -> next frame: {failoverSeconds:F2} s, {resilient.Retries} retries; session now on {info.Silo}");
        Assert.True(victim.HasExited, "the victim silo is still running");
        Assert.Equal(survivor, Hosting(info, a, b));
        Assert.Equal(worldId, info.WorldId);
        Assert.NotEmpty(next.Png);
        Assert.True(failoverSeconds < 30, $"failover took {failoverSeconds:F1} s (target ≤ 10 s with tuned membership)");

        // Poses rendered before the crash render bit-identically after it (from memory when kept,
        // re-rendered from the same memory otherwise).
        for (int i = 1; i < before.Count; i++)
        {
            var again = await resilient.StepAsync(new StepRequest(100 + i, poses[i].ToDto()));
            Assert.True(before[i].Png.SequenceEqual(again.Png), $"pose {i} renders differently after the failover");
        }
        // Frames lost: only what was kept after the last flush (the documented recovery point).
        await resilient.FlushAsync();
        int kept = before.Count(r => r.WrittenBack);
        var world = await grains.GetGrain<IWorldGrain>(worldId).GetInfoAsync();
        int lostAtMost = unflushed.WrittenBack ? 1 : 0;
        output.WriteLine($"world frames after failover {world.FrameCount}: 2 inputs + {kept} kept before the flush (+ frames kept after it: {lostAtMost} at risk)");
        Assert.True(world.FrameCount >= 2 + kept, $"world has {world.FrameCount} frames, fewer than the {2 + kept} flushed before the crash");
        Assert.False(survivor.HasExited, $"the surviving silo died:\n{survivor.Output}");
    }

    [Fact]
    public async Task A_gracefully_stopped_silo_hands_its_session_to_the_other_silo_without_losing_frames()
    {
        var (a, b) = await StartTwoSilosAsync();
        using var _ = a;
        using var __ = b;
        using var client = await ConnectAsync();
        var grains = client.Services.GetRequiredService<IGrainFactory>();
        string worldId = "move-world";
        await grains.GetGrain<IWorldGrain>(worldId).CreateAsync(new WorldCreateRequest("ops", [], null, SceneSeed: 8, SceneFrames: 1));
        var poses = Trajectories.Walk(SceneGenerator.Generate(8), 16, 8);
        var session = grains.GetGrain<ISessionGrain>("move-session");
        var opened = await session.OpenAsync(worldId);
        var resilient = new ResilientSession(session, TimeSpan.FromSeconds(60), m => output.WriteLine(m));
        var before = new List<StepResult>();
        for (int i = 0; i < 8; i++) before.Add(await resilient.StepAsync(new StepRequest(i, poses[i].ToDto())));
        // No flush: a graceful stop deactivates the session, which writes what it kept.
        var victim = Hosting(opened, a, b);
        Assert.True(victim.Stop(TimeSpan.FromSeconds(30)), $"silo did not stop within 30 s:\n{victim.Output}");
        var next = await resilient.StepAsync(new StepRequest(8, poses[8].ToDto()));
        Assert.NotEmpty(next.Png);
        Assert.Equal(victim == a ? b : a, Hosting(await session.GetInfoAsync(), a, b));
        var world = await grains.GetGrain<IWorldGrain>(worldId).GetInfoAsync();
        int kept = before.Count(r => r.WrittenBack);
        Assert.True(world.FrameCount >= 1 + kept, $"a graceful stop lost frames: world has {world.FrameCount}, expected at least {1 + kept}");
        for (int i = 1; i < before.Count; i++)
        {
            var again = await resilient.StepAsync(new StepRequest(100 + i, poses[i].ToDto()));
            Assert.True(before[i].Png.SequenceEqual(again.Png), $"pose {i} renders differently after the move");
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
