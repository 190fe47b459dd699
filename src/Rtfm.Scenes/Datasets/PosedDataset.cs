// Writes posed frame sequences from procedural scenes: the training, validation and test data
// of the learned renderer. Splits draw scene seeds from disjoint ranges, so no test scene is
// ever seen in training. Per scene: frames as PNGs, the same frames as one raw uint8 array
// (F, H, W, 3) for fast loading, and cameras.json with intrinsics and every pose
// ([w, x, y, z] quaternions, docs/conventions.md).
using System.Text.Json;
using System.Text.Json.Serialization;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;

namespace Rtfm.Scenes.Datasets;

public enum DatasetSplit
{
    Train,
    Validation,
    Test,
}

/// <param name="Scenes">Scenes per split.</param>
/// <param name="FramesPerScene">Frames along each scene's camera path.</param>
/// <param name="Size">Frame width and height in pixels.</param>
/// <param name="WritePngs">Also write every frame as a PNG (for people; the trainer reads frames.u8).</param>
public sealed record DatasetOptions(string OutputDirectory, int Scenes, int FramesPerScene = 48, int Size = 64, IReadOnlyList<DatasetSplit>? Splits = null, bool WritePngs = true, int Threads = 0);

public sealed record DatasetCamera(
    [property: JsonPropertyName("position")] float[] Position,
    [property: JsonPropertyName("rotation_wxyz")] float[] RotationWxyz,
    [property: JsonPropertyName("image")] string? Image);

public sealed record DatasetIntrinsics(int Width, int Height, float Fx, float Fy, float Cx, float Cy);

public sealed record DatasetScene(string Name, int Seed, string Kind, string Trajectory, DatasetIntrinsics Intrinsics, IReadOnlyList<DatasetCamera> Frames);

public static class PosedDataset
{
    /// <summary>First scene seed of each split; splits never overlap (10 million seeds each).</summary>
    public static int SeedBase(DatasetSplit split) => split switch
    {
        DatasetSplit.Train => 0,
        DatasetSplit.Validation => 10_000_000,
        _ => 20_000_000,
    };

    /// <summary>
    /// The camera path of a dataset scene (also what the evaluation replays on test seeds). A mix:
    /// walks and random walks give near views, orbits give wide baselines.
    /// </summary>
    public static TrajectoryKind TrajectoryFor(int seed) => (seed % 3) switch { 0 => TrajectoryKind.Walk, 1 => TrajectoryKind.Orbit, _ => TrajectoryKind.Random };

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Writes the dataset; <paramref name="progress"/> gets (scenes done, scenes total).</summary>
    public static void Write(DatasetOptions o, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (o.Scenes <= 0 || o.Scenes > 1_000_000) throw new ArgumentOutOfRangeException(nameof(o), $"scenes {o.Scenes} must be in 1..1000000");
        if (o.FramesPerScene <= 0 || o.FramesPerScene > 100_000) throw new ArgumentOutOfRangeException(nameof(o), $"frames per scene {o.FramesPerScene} must be in 1..100000");
        if (o.Size < 8 || o.Size > 1024) throw new ArgumentOutOfRangeException(nameof(o), $"size {o.Size} must be in 8..1024");
        var splits = o.Splits ?? [DatasetSplit.Train, DatasetSplit.Validation, DatasetSplit.Test];
        int total = splits.Count * o.Scenes, done = 0;
        var manifest = new Dictionary<string, List<string>>();
        foreach (var split in splits)
        {
            string splitName = split.ToString().ToLowerInvariant();
            var names = manifest[splitName] = [];
            for (int i = 0; i < o.Scenes; i++)
            {
                int seed = SeedBase(split) + i;
                names.Add(WriteScene(o, Path.Combine(o.OutputDirectory, splitName), seed));
                progress?.Invoke(++done, total);
            }
        }
        File.WriteAllText(Path.Combine(o.OutputDirectory, "manifest.json"), JsonSerializer.Serialize(new
        {
            format = "rtfm-posed-frames-v1",
            size = o.Size,
            frames_per_scene = o.FramesPerScene,
            splits = manifest,
        }, Json));
    }

    private static string WriteScene(DatasetOptions o, string splitDir, int seed)
    {
        var scene = SceneGenerator.Generate(seed);
        var kind = TrajectoryFor(seed);
        var poses = Trajectories.Create(kind, scene, o.FramesPerScene, seed);
        var k = scene.DefaultIntrinsics(o.Size, o.Size);
        string dir = Path.Combine(splitDir, scene.Name);
        Directory.CreateDirectory(dir);
        if (o.WritePngs) Directory.CreateDirectory(Path.Combine(dir, "frames"));
        var cameras = new List<DatasetCamera>();
        using (var raw = File.Create(Path.Combine(dir, "frames.u8")))
        {
            for (int f = 0; f < poses.Count; f++)
            {
                var img = RayTracer.Render(scene, poses[f], k, o.Threads);
                raw.Write(img.ToRgb8());
                string? file = null;
                if (o.WritePngs)
                {
                    file = $"frames/{f:D4}.png";
                    PngCodec.Write(img, Path.Combine(dir, file));
                }
                cameras.Add(ToCamera(poses[f], file));
            }
        }
        var meta = new DatasetScene(scene.Name, seed, scene.Kind.ToString(), kind.ToString().ToLowerInvariant(),
            new DatasetIntrinsics(k.Width, k.Height, k.Fx, k.Fy, k.Cx, k.Cy), cameras);
        File.WriteAllText(Path.Combine(dir, "cameras.json"), JsonSerializer.Serialize(meta, Json));
        return scene.Name;
    }

    private static DatasetCamera ToCamera(Pose p, string? image) =>
        new([p.Position.X, p.Position.Y, p.Position.Z], [p.Rotation.W, p.Rotation.X, p.Rotation.Y, p.Rotation.Z], image);
}
