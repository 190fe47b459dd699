// Where `rtfm render` and `rtfm demo` get model frames from: the engine alone in this process
// (LocalFrameSource), or the platform — world and session grains on an in-process Orleans silo
// with the embedded stores (SiloFrameSource).
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rtfm.Compute.Cpu;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;
using Rtfm.Grains.Abstractions;
using Rtfm.Grains.Hosting;
using Rtfm.Grains.Worlds;
using Rtfm.Model;
using Rtfm.Model.Memory;
using Rtfm.Model.Weights;

namespace Rtfm.Cli.Rendering;

internal readonly record struct SourceStep(RgbImage Frame, double Milliseconds, bool FromMemory);

internal interface IFrameSource : IDisposable
{
    string Engine { get; }

    /// <summary>Creates the world from the given posed frames.</summary>
    void Start(IReadOnlyList<RgbImage> frames, IReadOnlyList<Pose> poses, Intrinsics intrinsics);

    SourceStep Step(Pose pose);

    /// <summary>Waits until what the steps kept is stored (the platform writes behind; the engine alone has nothing to wait for).</summary>
    void Flush();

    int FramesInMemory { get; }

    long KvBytes { get; }
}

internal sealed class LocalFrameSource(ModelWeights weights, int threads, CpuIsa isa, ulong worldSeed) : IFrameSource
{
    private readonly RtfmModel _model = ModelLoading.Create(weights, threads, isa);
    private LocalWorldSession? _session;

    public string Engine => _model.Backend.Name + " (in process, no grains)";

    public void Start(IReadOnlyList<RgbImage> frames, IReadOnlyList<Pose> poses, Intrinsics intrinsics)
    {
        _session = new LocalWorldSession(_model, new SpatialMemory(), intrinsics, worldSeed);
        for (int i = 0; i < frames.Count; i++) _session.AddInputFrame(frames[i], poses[i]);
        // Warm the JIT (tiered compilation) so per-frame times measure the engine, not compilation.
        var blocks = _session.Memory.Frames.Select(f => f.Block).Take(_model.Config.ContextFrames).ToArray();
        for (int i = 0; i < 3; i++) _model.Encode(_model.Render(poses[0], intrinsics, blocks, (ulong)i), poses[0], intrinsics);
    }

    public SourceStep Step(Pose pose)
    {
        var s = _session!.Step(pose);
        return new SourceStep(s.Frame, s.RenderMilliseconds + s.EncodeMilliseconds, s.FromMemory);
    }

    public void Flush() { }

    public int FramesInMemory => _session?.Memory.Count ?? 0;

    public long KvBytes => _session?.Memory.KvBytes ?? 0;

    public void Dispose() => _model.Dispose();
}

internal sealed class SiloFrameSource : IFrameSource
{
    private const string WorldId = "demo";
    private readonly IHost _host;
    private readonly IGrainFactory _grains;
    private readonly long _blockBytes;
    private readonly IReadOnlyList<Pose>? _warmUpPath;
    private ISessionGrain? _session;
    private long _sequence;

    /// <param name="warmUpPath">The poses of a throwaway session before the real one. By default 8 steps, which warm
    /// the JIT for a demo; a benchmark passes a walk like the measured ones and long enough (tiered compilation
    /// promotes a method after 30 calls) to measure the platform in its steady state, as a long-running silo is.</param>
    public SiloFrameSource(ModelWeights weights, string? weightsPath, string dataDirectory, int threads, TextWriter stdout, IReadOnlyList<Pose>? warmUpPath = null)
    {
        _warmUpPath = warmUpPath;
        // A fresh store each run: the demo is reproducible, and old demo worlds are not kept.
        if (Directory.Exists(dataDirectory)) Directory.Delete(dataDirectory, recursive: true);
        var builder = RtfmHost.CreateBuilder();
        // The demo's console is for the figures: Orleans' start-up notes (GC mode, watchdog) are
        // not the user's problem here; errors still show.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        int siloPort = FreePort(), gatewayPort = FreePort();
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort, gatewayPort)
            .AddRtfmPlatform(p =>
            {
                p.DataDirectory = dataDirectory;
                p.WeightsPath = weightsPath;
                p.UntrainedConfig = weights.Config;
                p.Engine.Threads = threads;
            }));
        _host = builder.Build();
        var clock = Stopwatch.StartNew();
        _host.StartAsync().GetAwaiter().GetResult();
        stdout.WriteLine($"silo:   in-process Orleans silo on localhost clustering, embedded stores in {dataDirectory} (started in {clock.Elapsed.TotalSeconds:F1} s)");
        _grains = _host.Services.GetRequiredService<IGrainFactory>();
        _blockBytes = RtfmModel.BlockBytes(weights.Config);
    }

    public string Engine => "world + session grains on an in-process silo (CPU engine)";

    /// <summary>The silo's CPU engine: time spent on requests and how many ran (benchmark diagnostics).</summary>
    public (TimeSpan Busy, long Requests) EngineUsage => _host.Services.GetRequiredService<Rtfm.Grains.Services.RenderEngine>().CpuEngineUsage;

    /// <summary>A free loopback port, so a demo never collides with another silo on the machine.</summary>
    internal static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public int FramesInMemory { get; private set; }

    public long KvBytes => FramesInMemory * _blockBytes;

    private static List<PosedImage> Posed(IReadOnlyList<RgbImage> frames, IReadOnlyList<Pose> poses)
    {
        var images = new List<PosedImage>();
        for (int i = 0; i < frames.Count; i++)
        {
            using var ms = new MemoryStream();
            PngCodec.Write(frames[i], ms);
            images.Add(new PosedImage(ms.ToArray(), poses[i].ToDto()));
        }
        return images;
    }

    private WorldInfo Create(string worldId, IReadOnlyList<PosedImage> images, Intrinsics intrinsics) =>
        _grains.GetGrain<IWorldGrain>(worldId).CreateAsync(new WorldCreateRequest("demo", images, intrinsics.ToDto())).GetAwaiter().GetResult();

    /// <summary>Creates another world from posed frames on this silo (a benchmark's fresh world per round).</summary>
    public void CreateWorld(string worldId, IReadOnlyList<RgbImage> frames, IReadOnlyList<Pose> poses, Intrinsics intrinsics) =>
        Create(worldId, Posed(frames, poses), intrinsics);

    public void Start(IReadOnlyList<RgbImage> frames, IReadOnlyList<Pose> poses, Intrinsics intrinsics)
    {
        var images = Posed(frames, poses);
        FramesInMemory = Create(WorldId, images, intrinsics).FrameCount;
        _session = OpenSession("demo-session");
        // Warm-up on a throwaway world, so per-frame times measure the platform rather than JIT
        // compilation, and the demo world stays exactly as created.
        Create("demo-warmup", images, intrinsics);
        var warmSession = OpenSession("demo-warmup-session", "demo-warmup");
        var path = _warmUpPath ?? Enumerable.Range(0, 8).Select(i => poses[0] with { Position = poses[0].Position + new System.Numerics.Vector3(0.3f * (i + 1), 0, 0) }).ToArray();
        for (int i = 0; i < path.Count; i++) warmSession.StepAsync(new StepRequest(i, path[i].ToDto())).GetAwaiter().GetResult();
        warmSession.FlushAsync().GetAwaiter().GetResult(); // its kept frames land before the world goes
        _grains.GetGrain<IWorldGrain>("demo-warmup").DeleteAsync().GetAwaiter().GetResult();
    }

    /// <summary>Another session, on the demo world or on <paramref name="worldId"/> (for concurrent-session benchmarks).</summary>
    public ISessionGrain OpenSession(string sessionId, string worldId = WorldId)
    {
        var session = _grains.GetGrain<ISessionGrain>(sessionId);
        session.OpenAsync(worldId).GetAwaiter().GetResult();
        return session;
    }

    public SourceStep Step(Pose pose)
    {
        var r = _session!.StepAsync(new StepRequest(_sequence++, pose.ToDto())).GetAwaiter().GetResult();
        if (r.WrittenBack) FramesInMemory++;
        return new SourceStep(PngCodec.Decode(r.Png), r.TotalMilliseconds, r.FromMemory);
    }

    /// <summary>Waits until every frame the session kept is written to the world.</summary>
    public void Flush() => _session?.FlushAsync().GetAwaiter().GetResult();

    public void Dispose()
    {
        _host.StopAsync().GetAwaiter().GetResult();
        _host.Dispose();
    }
}
