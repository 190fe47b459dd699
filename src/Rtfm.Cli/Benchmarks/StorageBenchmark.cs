// Durable-world storage: checkpoint write/read throughput of the blob content store (Azurite)
// beside the embedded file store in the same run, and the time to the first frame after a world
// of 100, 1 000 and 10 000 frames is resumed on a fresh silo. Resume is lazy: a session reads
// the world's description, the nine tiles around the camera and the K frames it retrieves, so
// the first frame should cost the same whatever the world's size.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;
using Rtfm.Core.Numerics;
using Rtfm.Grains.Abstractions;
using Rtfm.Grains.Hosting;
using Rtfm.Grains.Worlds;
using Rtfm.Model;
using Rtfm.Persistence.AzureBlob.Providers;
using Rtfm.Persistence.AzureBlob.Storage;
using Rtfm.Storage;

namespace Rtfm.Cli.Benchmarks;

internal static class StorageBenchmark
{
    private const int BlockObjects = 48;

    public static async Task<string> RunAsync(string blobConnection, int[] worldSizes, TextWriter stdout, TextWriter stderr)
    {
        string run = Guid.NewGuid().ToString("N")[..8];
        var md = new StringBuilder();
        md.AppendLine("## Storage (`rtfm bench storage`)");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Blob storage is Azurite on this machine (loopback), the peer is the embedded file store (fsync per object), same run, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        md.AppendLine();
        md.AppendLine(await CheckpointThroughputAsync(blobConnection, run, stdout));
        md.AppendLine(await ResumeAsync(blobConnection, run, worldSizes, stdout, stderr));
        return md.ToString();
    }

    /// <summary>KV-block-sized objects (the bulk of a checkpoint) written then read back, verified.</summary>
    private static async Task<string> CheckpointThroughputAsync(string blobConnection, string run, TextWriter stdout)
    {
        int blockBytes = 2 * ModelConfig.Tiny.Depth * ModelConfig.Tiny.TokensPerFrame * ModelConfig.Tiny.Width * sizeof(float);
        var random = new DeterministicRandom(7);
        var objects = Enumerable.Range(0, BlockObjects).Select(_ =>
        {
            var b = new byte[blockBytes];
            for (int i = 0; i < b.Length; i += 8) BitConverter.TryWriteBytes(b.AsSpan(i), random.NextUInt64());
            return b;
        }).ToArray();
        double mb = objects.Sum(o => (double)o.Length) / (1024 * 1024);
        var options = new AzureBlobContentStoreOptions { ConnectionString = blobConnection, ContainerName = $"bench-{run}" };
        var blobs = new AzureBlobContentStores(options, "bench", NullLogger<AzureBlobContentStores>.Instance);
        string fileRoot = Path.Combine(Path.GetTempPath(), $"rtfm-bench-store-{run}");
        var stores = new (string Name, IContentStore Store)[] { ("blob (Azurite)", blobs.ForPrefix("w/")), ("file (fsync)", new FileContentStore(fileRoot)) };
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"### Checkpoint throughput ({BlockObjects} KV blocks of {blockBytes / 1024.0:F0} KiB, {mb:F1} MiB)");
        sb.AppendLine();
        sb.AppendLine("| store | writes in flight | write MiB/s | read + verify MiB/s |");
        sb.AppendLine("|---|---:|---:|---:|");
        try
        {
            foreach (var (name, store) in stores)
            {
                foreach (int parallel in new[] { 1, 8 })
                {
                    // Distinct bytes per round: content addressing would turn a repeated put into a no-op.
                    var round = objects.Select(o => { var c = (byte[])o.Clone(); c[0] ^= (byte)parallel; c[1] ^= (byte)name.Length; return c; }).ToArray();
                    var clock = Stopwatch.StartNew();
                    var names = new ContentName[round.Length];
                    foreach (var chunk in Enumerable.Range(0, round.Length).Chunk(parallel))
                        await Task.WhenAll(chunk.Select(async i => names[i] = await store.PutAsync(round[i])));
                    double write = mb / clock.Elapsed.TotalSeconds;
                    clock.Restart();
                    foreach (var chunk in Enumerable.Range(0, round.Length).Chunk(parallel))
                        await Task.WhenAll(chunk.Select(async i => { if (await store.GetAsync(names[i]) is null) throw new InvalidOperationException("an object written a moment ago is missing"); }));
                    double read = mb / clock.Elapsed.TotalSeconds;
                    stdout.WriteLine($"{name,-16} x{parallel}: write {write,7:F1} MiB/s, read {read,7:F1} MiB/s");
                    sb.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {parallel} | {write:F1} | {read:F1} |");
                }
            }
        }
        finally
        {
            await new Azure.Storage.Blobs.BlobContainerClient(blobConnection, options.ContainerName).DeleteIfExistsAsync();
            if (Directory.Exists(fileRoot)) Directory.Delete(fileRoot, recursive: true);
        }
        return sb.ToString();
    }

    private static async Task<string> ResumeAsync(string blobConnection, string run, int[] sizes, TextWriter stdout, TextWriter stderr)
    {
        var sb = new StringBuilder();
        sb.AppendLine("### Resume on a fresh silo");
        sb.AppendLine();
        sb.AppendLine("A world of N frames (distinct 64×64 images, 2.5 frames per 4 m tile on average, no stored KV blocks) is imported through the grains into blob storage; the silo is replaced by a new one (nothing in memory); a session opens at the world's centre. First frame = open + first step (world description, 9 tiles, K = 4 frames read and encoded, render); warm = the next step.");
        sb.AppendLine();
        sb.AppendLine("| frames | tiles | import s | import frames/s | first frame after resume ms | candidates read | warm step ms |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        // A small unreported round first: JIT and first-use costs of the grain and storage paths
        // would otherwise land on the first world measured.
        foreach (var (n, report) in sizes.Select(x => (x, true)).Prepend((50, false)))
        {
            string state = $"st-{run}-{n}{(report ? "" : "w")}", content = $"ct-{run}-{n}{(report ? "" : "w")}";
            var frames = SyntheticFrames(n, out float side);
            double importSeconds;
            using (var silo = await StartSiloAsync(blobConnection, state, content))
            {
                var grains = silo.Services.GetRequiredService<IGrainFactory>();
                var world = grains.GetGrain<IWorldGrain>("resume");
                var k = Intrinsics.FromFieldOfView(ModelConfig.Tiny.ImageWidth, ModelConfig.Tiny.ImageHeight, 60f);
                var clock = Stopwatch.StartNew();
                await world.BeginImportAsync(new WorldImportHeader("bench", 4f, k.ToDto(), null));
                var bar = Rendering.ConsoleProgress.For(stderr, $"import {n}", n);
                for (int i = 0; i < n; i += WorldGrain.MaxBatch)
                {
                    await world.ImportFramesAsync(frames.Skip(i).Take(WorldGrain.MaxBatch).ToArray());
                    bar.Report(Math.Min(n, i + WorldGrain.MaxBatch));
                }
                await world.EndImportAsync();
                importSeconds = clock.Elapsed.TotalSeconds;
                await silo.StopAsync();
            }
            using (var silo = await StartSiloAsync(blobConnection, state, content))
            {
                var grains = silo.Services.GetRequiredService<IGrainFactory>();
                var info = await grains.GetGrain<IWorldGrain>("resume").GetInfoAsync();
                var centre = Pose.LookAt(new System.Numerics.Vector3(side / 2 + 0.13f, 1.6f, side / 2 + 0.07f), new System.Numerics.Vector3(side / 2 + 3f, 1.4f, side / 2 + 1f)).ToDto();
                var clock = Stopwatch.StartNew();
                var session = grains.GetGrain<ISessionGrain>("resume-session");
                await session.OpenAsync("resume");
                var first = await session.StepAsync(new StepRequest(0, centre));
                double firstMs = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                var next = centre with { X = centre.X + 0.05f };
                await session.StepAsync(new StepRequest(1, next));
                double warmMs = clock.Elapsed.TotalMilliseconds;
                await session.FlushAsync();
                if (report)
                {
                    stdout.WriteLine($"{n,6} frames in {info.TileCount,5} tiles: import {importSeconds,6:F1} s, first frame after resume {firstMs,6:F0} ms ({first.CandidateFrames} candidates), warm step {warmMs,5:F0} ms");
                    sb.AppendLine(CultureInfo.InvariantCulture, $"| {n} | {info.TileCount} | {importSeconds:F1} | {n / importSeconds:F0} | {firstMs:F0} | {first.CandidateFrames} | {warmMs:F0} |");
                }
                await silo.StopAsync();
            }
            foreach (string c in new[] { state, content })
                await new Azure.Storage.Blobs.BlobContainerClient(blobConnection, c).DeleteIfExistsAsync();
        }
        return sb.ToString();
    }

    /// <summary>N distinct noise images at random poses over a square whose area grows with N (constant density).</summary>
    private static ImportedFrame[] SyntheticFrames(int n, out float side)
    {
        side = MathF.Sqrt(n / 2.5f) * 4f;
        var random = new DeterministicRandom((ulong)n);
        var result = new ImportedFrame[n];
        int w = ModelConfig.Tiny.ImageWidth, h = ModelConfig.Tiny.ImageHeight;
        for (int i = 0; i < n; i++)
        {
            var img = RgbImage.Noise(w, h, seed: random.NextUInt64());
            using var ms = new MemoryStream();
            PngCodec.Write(img, ms);
            byte[] png = ms.ToArray();
            var eye = new System.Numerics.Vector3((float)random.NextDouble(0, side), 1.6f, (float)random.NextDouble(0, side));
            double yaw = random.NextDouble(0, 2 * Math.PI);
            var pose = Pose.LookAt(eye, eye + new System.Numerics.Vector3((float)Math.Cos(yaw), -0.1f, (float)Math.Sin(yaw)));
            result[i] = new ImportedFrame(new FrameRecord($"f{i:D6}", pose.ToDto(), ContentName.Of(png).Value, null, null, false), png);
        }
        return result;
    }

    private static async Task<IHost> StartSiloAsync(string blobConnection, string stateContainer, string contentContainer)
    {
        var builder = RtfmHost.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        int siloPort = Rendering.SiloFrameSource.FreePort(), gatewayPort = Rendering.SiloFrameSource.FreePort();
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort, gatewayPort)
            .AddRtfmPlatform(p =>
            {
                p.Storage = RtfmPlatformOptions.BlobStorage;
                p.BlobConnectionString = blobConnection;
                p.BlobStateContainer = stateContainer;
                p.BlobContentContainer = contentContainer;
                p.DataDirectory = Path.GetTempPath();
            }));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
