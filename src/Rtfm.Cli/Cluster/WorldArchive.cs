// One file holding a whole world, for backup and for moving worlds between clusters: a ZIP with
// world.json (the description and every frame's id, pose, image name, generated flag) and one
// entry per frame image, named by its content hash. KV blocks are derived data and are not
// carried: the importing cluster recomputes them on first use with its own model. Cached views
// (a cache) are not carried either. Export writes a temporary file and renames it, so a partial
// archive never appears under the name; import checks every image against its name and deletes
// the half-imported world when anything fails.
using System.IO.Compression;
using System.Text.Json;
using Rtfm.Grains.Abstractions;

namespace Rtfm.Cli.Cluster;

public static class WorldArchive
{
    public const string Format = "rtfm-world/1";
    private const string ManifestEntry = "world.json";
    private const int Batch = 256;

    public sealed record Manifest(
        string Format,
        string WorldId,
        string Owner,
        string ModelId,
        float TileSize,
        IntrinsicsDto Intrinsics,
        int? SceneSeed,
        DateTimeOffset Created,
        IReadOnlyList<ArchivedFrame> Frames);

    public sealed record ArchivedFrame(string FrameId, PoseDto Pose, string Image, bool Generated);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes world <paramref name="worldId"/> to <paramref name="path"/>; returns the frames written.</summary>
    public static async Task<int> ExportAsync(IGrainFactory grains, string worldId, string path, Action<int, int>? progress = null)
    {
        var world = grains.GetGrain<IWorldGrain>(worldId);
        var info = await world.GetInfoAsync();
        if (info.Importing) throw new InvalidOperationException($"world '{worldId}' is still being imported");
        var frames = new List<FrameRecord>();
        foreach (var cell in await world.ListTilesAsync())
            frames.AddRange(await grains.GetGrain<ISpatialTileGrain>(cell.Key(worldId)).GetFramesAsync());
        var manifest = new Manifest(Format, worldId, info.Owner, info.ModelId, info.TileSize, info.Intrinsics, info.SceneSeed, info.Created,
            frames.Select(f => new ArchivedFrame(f.FrameId, f.Pose, f.ImageName, f.Generated)).ToArray());

        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = $"{full}.{Environment.ProcessId}.tmp";
        try
        {
            await using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            using (var zip = new ZipArchive(file, ZipArchiveMode.Create))
            {
                await using (var entry = zip.CreateEntry(ManifestEntry, CompressionLevel.Optimal).Open())
                    await JsonSerializer.SerializeAsync(entry, manifest, Json);
                var names = frames.Select(f => f.ImageName).Distinct(StringComparer.Ordinal).ToArray();
                for (int i = 0; i < names.Length; i += Batch)
                {
                    var chunk = names.AsSpan(i, Math.Min(Batch, names.Length - i)).ToArray();
                    var bytes = await world.ReadContentAsync(chunk);
                    for (int j = 0; j < chunk.Length; j++)
                    {
                        // PNGs are compressed already: stored as they are.
                        await using var entry = zip.CreateEntry($"images/{chunk[j]}.png", CompressionLevel.NoCompression).Open();
                        await entry.WriteAsync(bytes[j]);
                    }
                    progress?.Invoke(Math.Min(i + Batch, names.Length), names.Length);
                }
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
        return frames.Count;
    }

    /// <summary>Reads an archive's description without importing it.</summary>
    public static Manifest ReadManifest(ZipArchive zip, string path)
    {
        var entry = zip.GetEntry(ManifestEntry) ?? throw new InvalidDataException($"{path} is not a world archive: it has no {ManifestEntry}");
        Manifest? manifest;
        try
        {
            using var stream = entry.Open();
            manifest = JsonSerializer.Deserialize<Manifest>(stream, Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: {ManifestEntry} is not valid ({ex.Message})", ex);
        }
        if (manifest is null || manifest.Format != Format)
            throw new InvalidDataException($"{path}: format '{manifest?.Format}' is not {Format}");
        if (manifest.Frames is null || manifest.Frames.Count == 0) throw new InvalidDataException($"{path}: the archive has no frames");
        return manifest;
    }

    /// <summary>Imports an archive as world <paramref name="worldId"/> (default: the archived id); all or nothing.</summary>
    public static async Task<WorldInfo> ImportAsync(IGrainFactory grains, string path, string? worldId = null, Action<int, int>? progress = null)
    {
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (InvalidDataException ex) { throw new InvalidDataException($"{path} is not a world archive (not a ZIP file: {ex.Message})", ex); }
        using (zip)
        {
            var manifest = ReadManifest(zip, path);
            string id = worldId ?? manifest.WorldId;
            var world = grains.GetGrain<IWorldGrain>(id);
            await world.BeginImportAsync(new WorldImportHeader(manifest.Owner, manifest.TileSize, manifest.Intrinsics, manifest.SceneSeed));
            try
            {
                for (int i = 0; i < manifest.Frames.Count; i += Batch)
                {
                    var batch = new List<ImportedFrame>();
                    foreach (var f in manifest.Frames.Skip(i).Take(Batch))
                    {
                        var entry = zip.GetEntry($"images/{f.Image}.png") ?? throw new InvalidDataException($"{path}: the image of frame {f.FrameId} is missing");
                        using var stream = entry.Open();
                        using var ms = new MemoryStream();
                        await stream.CopyToAsync(ms);
                        batch.Add(new ImportedFrame(new FrameRecord(f.FrameId, f.Pose, f.Image, null, null, f.Generated), ms.ToArray()));
                    }
                    await world.ImportFramesAsync(batch);
                    progress?.Invoke(Math.Min(i + Batch, manifest.Frames.Count), manifest.Frames.Count);
                }
                return await world.EndImportAsync();
            }
            catch
            {
                await world.DeleteAsync(); // nothing half-imported stays behind
                throw;
            }
        }
    }
}
