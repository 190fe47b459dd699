// The silo's render engine: a bounded queue that answers "busy" instead of queueing without
// bound, and a bounded LRU of KV blocks.
using Microsoft.Extensions.Logging.Abstractions;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;
using Rtfm.Grains.Services;
using Rtfm.Model.Weights;

namespace Rtfm.Grains.Tests;

public sealed class RenderEngineTests
{
    private static RenderEngine Engine(int maxWaiting, int cacheBlocks = 4) =>
        new(new PlatformModel(ModelWeights.RandomInit(ClusterFixture.SmallModel, 2)),
            new RenderEngineOptions { MaxWaiting = maxWaiting, KvCacheBlocks = cacheBlocks, Threads = 1 },
            NullLogger<RenderEngine>.Instance);

    [Fact]
    public async Task A_full_queue_answers_busy_and_the_rest_complete()
    {
        using var engine = Engine(maxWaiting: 1);
        var k = Intrinsics.FromFieldOfView(32, 32, 60);
        var pose = Pose.LookAt(new(0, 1, 0), new(0, 1, 5));
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        // One piece of work holds the engine; one render may wait behind it; the next is refused.
        var holder = engine.RunAsync(_ => { started.Set(); release.Wait(); return 0; });
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)), "the first work item should start");
        var waiting = engine.RenderAsync(pose, k, [], 1);
        var ex = await Assert.ThrowsAsync<RenderBusyException>(() => engine.RenderAsync(pose, k, [], 2));
        Assert.Contains("render queue is full (1 waiting)", ex.Message);
        release.Set();
        await holder;
        Assert.Equal(32, (await waiting).Width);
        // Idle again: work is accepted.
        Assert.NotNull(await engine.RenderAsync(pose, k, [], 3));
    }

    [Fact]
    public async Task The_kv_cache_keeps_the_most_recently_used_blocks()
    {
        using var engine = Engine(maxWaiting: 4, cacheBlocks: 2);
        var k = Intrinsics.FromFieldOfView(32, 32, 60);
        var block = await engine.EncodeAsync(new RgbImage(32, 32), Pose.Identity, k);
        engine.PutCached("a", block);
        engine.PutCached("b", block);
        Assert.NotNull(engine.GetCached("a")); // a is now the most recent
        engine.PutCached("c", block);          // evicts b
        Assert.Null(engine.GetCached("b"));
        Assert.NotNull(engine.GetCached("a"));
        Assert.NotNull(engine.GetCached("c"));
        Assert.Equal(2, engine.CachedBlocks);
    }
}
