// Client commands against a running silo: rtfm world create|list|info|delete, rtfm session play.
// They connect through a silo's gateway on localhost (--gateway, default 30000) or, for a
// multi-node cluster, through its Redis membership (--redis HOST:PORT, --cluster-id).
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rtfm.Cli.Cluster;
using Rtfm.Cli.Rendering;
using Rtfm.Grains.Abstractions;
using Rtfm.Grains.Hosting;
using Rtfm.Grains.Worlds;
using Rtfm.Scenes;
using Rtfm.Scenes.Datasets;

namespace Rtfm.Cli.Commands;

internal static class ClusterCommands
{
    /// <summary>How a client command reaches the cluster: a gateway port on localhost, or the cluster's Redis membership.</summary>
    private sealed class ClusterConnection
    {
        private readonly Option<int> _gateway = new Option<int>("--gateway") { Description = "the silo's gateway port on localhost (one-node clusters)", DefaultValueFactory = _ => 30000 }
            .Check(v => v is < 1 or > 65535 ? $"--gateway must be a TCP port (1-65535), got {v}" : null);
        private readonly Option<string?> _redis = new("--redis")
        {
            Description = "Redis server of a multi-node cluster (host:port; default: $RTFM_REDIS); finds the silos through Redis clustering",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("RTFM_REDIS") is { Length: > 0 } r ? r : null,
        };
        private readonly Option<string> _clusterId = new("--cluster-id") { Description = "cluster id of a multi-node cluster", DefaultValueFactory = _ => new RtfmClusterOptions().ClusterId };

        public T AddTo<T>(T command) where T : Command
        {
            command.Options.Add(_gateway);
            command.Options.Add(_redis);
            command.Options.Add(_clusterId);
            return command;
        }

        public (int Gateway, RtfmClusterOptions Cluster) Read(ParseResult p)
        {
            string? redis = p.GetValue(_redis);
            var cluster = new RtfmClusterOptions
            {
                Clustering = redis is null ? RtfmClusterOptions.Localhost : RtfmClusterOptions.Redis,
                RedisConnectionString = redis,
                ClusterId = p.GetValue(_clusterId)!,
            };
            var problems = cluster.Problems("--");
            if (problems.Count > 0) throw new UsageException(problems[0]);
            return (p.GetValue(_gateway), cluster);
        }
    }

    private static Option<string> WorldId(bool required = true) => new("--id") { Description = "world id (letters, digits, '-', '_')", Required = required };

    /// <summary>Connects to the cluster, runs <paramref name="work"/>, disconnects.</summary>
    private static int WithClient((int Gateway, RtfmClusterOptions Cluster) connection, Func<IClusterClient, Task<int>> work)
    {
        var (gateway, cluster) = connection;
        var builder = RtfmHost.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(c => c.UseRtfmClustering(cluster, gateway));
        using var host = builder.Build();
        try
        {
            host.StartAsync().WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            string where = cluster.Clustering == RtfmClusterOptions.Redis ? $"cluster '{cluster.ClusterId}' through Redis {cluster.RedisConnectionString}" : $"a silo at localhost:{gateway}";
            throw new IOException($"cannot reach {where} ({ex.GetType().Name}); start one with 'dotnet run --project src/Rtfm.Silo' or pass --gateway / --redis", ex);
        }
        try { return work(host.Services.GetRequiredService<IClusterClient>()).GetAwaiter().GetResult(); }
        finally { host.StopAsync().GetAwaiter().GetResult(); }
    }

    public static Command World(TextWriter stdout, TextWriter stderr)
    {
        var world = new Command("world", "create, list, inspect and delete worlds on a running silo");

        var id = WorldId();
        var scene = new Option<int?>("--scene") { Description = "create from this procedural scene seed" };
        var frames = CommonOptions.PositiveInt("--frames", "procedural frames the world starts from", 1, WorldGrain.MaxSceneFrames);
        var images = new Option<string?>("--images") { Description = "create from posed images: a cameras.json as written by 'rtfm dataset' (PNG paths relative to it)" };
        var owner = new Option<string>("--owner") { Description = "owner name", DefaultValueFactory = _ => Environment.UserName };
        var tile = new Option<float>("--tile-size") { Description = "spatial tile size in metres", DefaultValueFactory = _ => 4f };
        var gw = new ClusterConnection();
        var create = gw.AddTo(new Command("create", "create a world from posed images or a procedural scene") { id, scene, frames, images, owner, tile });
        create.SetAction(p =>
        {
            string? imagesPath = p.GetValue(images);
            int? seed = p.GetValue(scene);
            if ((imagesPath is null) == (seed is null)) throw new UsageException("give exactly one of --scene SEED or --images cameras.json");
            var request = imagesPath is null
                ? new WorldCreateRequest(p.GetValue(owner)!, [], null, seed, p.GetValue(frames), p.GetValue(tile))
                : ReadImages(imagesPath, p.GetValue(owner)!, p.GetValue(tile));
            return WithClient(gw.Read(p), async client =>
            {
                var info = await client.GetGrain<IWorldGrain>(p.GetValue(id)!).CreateAsync(request);
                Print(info, stdout);
                return 0;
            });
        });

        var listGw = new ClusterConnection();
        var list = listGw.AddTo(new Command("list", "list the worlds"));
        list.SetAction(p => WithClient(listGw.Read(p), async client =>
        {
            var ids = await client.GetGrain<IWorldCatalogGrain>(IWorldCatalogGrain.Key).ListAsync();
            foreach (var w in ids) stdout.WriteLine(w);
            if (ids.Count == 0) stdout.WriteLine("(no worlds)");
            return 0;
        }));

        var infoId = WorldId();
        var infoGw = new ClusterConnection();
        var info = infoGw.AddTo(new Command("info", "show a world") { infoId });
        info.SetAction(p => WithClient(infoGw.Read(p), async client =>
        {
            Print(await client.GetGrain<IWorldGrain>(p.GetValue(infoId)!).GetInfoAsync(), stdout);
            return 0;
        }));

        var delId = WorldId();
        var delGw = new ClusterConnection();
        var delete = delGw.AddTo(new Command("delete", "delete a world and everything it stored") { delId });
        delete.SetAction(p => WithClient(delGw.Read(p), async client =>
        {
            bool existed = await client.GetGrain<IWorldGrain>(p.GetValue(delId)!).DeleteAsync();
            if (!existed) throw new KeyNotFoundException($"world '{p.GetValue(delId)}' does not exist");
            stdout.WriteLine($"deleted {p.GetValue(delId)}");
            return 0;
        }));

        var expId = WorldId();
        var expOut = new Option<string>("--out") { Description = "archive file to write (a ZIP: world.json + images)", Required = true };
        var expGw = new ClusterConnection();
        var export = expGw.AddTo(new Command("export", "write a whole world to one archive file (backup, moving between clusters)") { expId, expOut });
        export.SetAction(p => WithClient(expGw.Read(p), async client =>
        {
            string worldId = p.GetValue(expId)!;
            ConsoleProgress? bar = null;
            int frames = await WorldArchive.ExportAsync(client, worldId, p.GetValue(expOut)!, (done, total) => (bar ??= ConsoleProgress.For(stderr, "images", total)).Report(done));
            stdout.WriteLine($"exported {worldId}: {frames} frames to {p.GetValue(expOut)} ({new FileInfo(p.GetValue(expOut)!).Length / 1024.0:F0} KiB)");
            return 0;
        }));

        var impFile = new Option<string>("--file") { Description = "archive written by 'rtfm world export'", Required = true };
        var impId = WorldId(required: false);
        impId.Description = "import under this id (default: the archived world's id)";
        var impGw = new ClusterConnection();
        var import = impGw.AddTo(new Command("import", "create a world from an archive file (all or nothing)") { impFile, impId });
        import.SetAction(p =>
        {
            string file = p.GetValue(impFile)!;
            if (!File.Exists(file)) throw new UsageException($"archive '{file}' does not exist");
            return WithClient(impGw.Read(p), async client =>
            {
                ConsoleProgress? bar = null;
                var info = await WorldArchive.ImportAsync(client, file, p.GetValue(impId), (done, total) => (bar ??= ConsoleProgress.For(stderr, "frames", total)).Report(done));
                Print(info, stdout);
                return 0;
            });
        });

        world.Subcommands.Add(create);
        world.Subcommands.Add(list);
        world.Subcommands.Add(info);
        world.Subcommands.Add(export);
        world.Subcommands.Add(import);
        world.Subcommands.Add(delete);
        return world;
    }

    private static WorldCreateRequest ReadImages(string path, string owner, float tileSize)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist");
        DatasetScene meta;
        try { meta = JsonSerializer.Deserialize<DatasetScene>(File.ReadAllText(path), PosedDataset.Json) ?? throw new InvalidDataException("empty"); }
        catch (JsonException ex) { throw new InvalidDataException($"'{path}' is not a cameras.json: {ex.Message}", ex); }
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var images = new List<PosedImage>();
        for (int i = 0; i < meta.Frames.Count; i++)
        {
            var f = meta.Frames[i];
            if (f.Image is null) throw new InvalidDataException($"frame {i} of '{path}' names no image");
            if (f.Position?.Length != 3 || f.RotationWxyz?.Length != 4) throw new InvalidDataException($"frame {i} of '{path}' needs position [x, y, z] and rotation_wxyz [w, x, y, z]");
            images.Add(new PosedImage(File.ReadAllBytes(Path.Combine(dir, f.Image)),
                new PoseDto(f.Position[0], f.Position[1], f.Position[2], f.RotationWxyz[0], f.RotationWxyz[1], f.RotationWxyz[2], f.RotationWxyz[3])));
        }
        var k = meta.Intrinsics;
        return new WorldCreateRequest(owner, images, new IntrinsicsDto(k.Width, k.Height, k.Fx, k.Fy, k.Cx, k.Cy), null, 1, tileSize);
    }

    private static void Print(WorldInfo w, TextWriter stdout)
    {
        stdout.WriteLine($"world      {w.WorldId}");
        stdout.WriteLine($"owner      {w.Owner}");
        stdout.WriteLine($"model      {w.ModelId}");
        stdout.WriteLine($"frames     {w.FrameCount} in {w.TileCount} tiles of {w.TileSize} m");
        stdout.WriteLine($"created    {w.Created:u}, updated {w.Updated:u}");
        if (w.SceneSeed is { } s) stdout.WriteLine($"scene      procedural seed {s}");
    }

    /// <summary>Exit code of `rtfm health` when some silo is degraded (storage unreachable or writes failing).</summary>
    public const int DegradedExitCode = 3;

    public static Command Health(TextWriter stdout)
    {
        var gw = new ClusterConnection();
        var health = gw.AddTo(new Command("health", $"each silo's health: render kind, storage reachable, kept frames waiting to be written (exit {DegradedExitCode} when degraded)"));
        health.SetAction(p => WithClient(gw.Read(p), async client =>
        {
            var silos = await client.GetGrain<IClusterHealthGrain>(IClusterHealthGrain.Key).GetAsync();
            if (silos.Count == 0)
            {
                stdout.WriteLine("no silo has reported yet (silos report every few seconds after they start)");
                return DegradedExitCode;
            }
            stdout.WriteLine($"{"silo",-32} {"render",-6} {"storage",-8} {"state",-9} {"pending",7} {"failing",7}  last error");
            foreach (var s in silos)
                stdout.WriteLine($"{s.Silo,-32} {s.Render,-6} {s.Storage,-8} {(s.Degraded ? "DEGRADED" : "healthy"),-9} {s.PendingFrames,7} {s.FailingSessions,7}  {string.Join("; ", new[] { s.RenderFault is null ? null : "gpu: " + s.RenderFault, s.LastError }.OfType<string>())}");
            return silos.Any(s => s.Degraded) ? DegradedExitCode : 0;
        }));
        return health;
    }

    public static Command Session(TextWriter stdout, TextWriter stderr)
    {
        var world = new Option<string>("--world") { Description = "world id", Required = true };
        var trajectory = new Option<string>("--trajectory") { Description = "orbit, walk, loop or random", DefaultValueFactory = _ => "loop" }
            .Check(v =>
            {
                try { Trajectories.Parse(v ?? ""); return null; }
                catch (ArgumentException ex) { return ex.Message; }
            });
        var frames = CommonOptions.PositiveInt("--frames", "steps to play", 24, 100_000);
        var scene = new Option<int?>("--scene") { Description = "scene whose free space the path follows (default: the world's own procedural seed)" };
        var outDir = new Option<string?>("--out") { Description = "write the frames as PNGs here" };
        var gw = new ClusterConnection();
        var play = gw.AddTo(new Command("play", "open a session on a world and play a camera path through it") { world, trajectory, frames, scene, outDir });
        play.SetAction(p => WithClient(gw.Read(p), async client =>
        {
            string worldId = p.GetValue(world)!;
            var info = await client.GetGrain<IWorldGrain>(worldId).GetInfoAsync();
            int seed = p.GetValue(scene) ?? info.SceneSeed ?? throw new UsageException($"world '{worldId}' is not procedural: pass --scene SEED to choose the space the camera path follows");
            var poses = Trajectories.Create(Trajectories.Parse(p.GetValue(trajectory)!), SceneGenerator.Generate(seed), p.GetValue(frames), seed);
            var session = client.GetGrain<ISessionGrain>($"{worldId}-{Guid.NewGuid():N}");
            var opened = await session.OpenAsync(worldId);
            // Steps survive a silo failure: retried (idempotent by sequence) on the session's new silo.
            var resilient = new ResilientSession(session, onRetry: m => stderr.WriteLine($"session: {m}"));
            stdout.WriteLine($"session on {worldId} ({opened.ModelId}) rendering on silo {opened.Silo}");
            string? dir = p.GetValue(outDir);
            if (dir is not null) Directory.CreateDirectory(dir);
            var times = new List<double>();
            int fromMemory = 0, written = 0;
            var bar = ConsoleProgress.For(stderr, "steps", poses.Count);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < poses.Count; i++)
            {
                var r = await resilient.StepAsync(new StepRequest(i, poses[i].ToDto()));
                times.Add(r.TotalMilliseconds);
                if (r.FromMemory) fromMemory++;
                if (r.WrittenBack) written++;
                if (dir is not null) await File.WriteAllBytesAsync(Path.Combine(dir, $"{i:D4}.png"), r.Png);
                bar.Report(i + 1);
            }
            int flushed = await resilient.FlushAsync();
            double seconds = clock.Elapsed.TotalSeconds;
            var sorted = times.Order().ToArray();
            stdout.WriteLine($"{poses.Count} frames at {poses.Count / seconds:F1} frames/s (p50 {sorted[sorted.Length / 2]:F1} ms, p99 {sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))]:F1} ms in the silo); {fromMemory} served from memory, {written} written back ({flushed} writes were still queued at the last step, {resilient.Retries} retries)");
            return 0;
        }));
        return new Command("session", "sessions on a running silo") { play };
    }
}
