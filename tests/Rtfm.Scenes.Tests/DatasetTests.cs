// The posed-frame dataset: layout, disjoint splits, poses and pixels that match a fresh
// render, and byte-identical output for the same arguments.
using System.Numerics;
using System.Text.Json;
using Rtfm.Core.Geometry;
using Rtfm.Scenes.Datasets;

namespace Rtfm.Scenes.Tests;

public sealed class DatasetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rtfm-ds-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Writes_disjoint_splits_with_frames_poses_and_intrinsics_that_match_a_fresh_render()
    {
        string a = Path.Combine(_dir, "a");
        PosedDataset.Write(new DatasetOptions(a, Scenes: 2, FramesPerScene: 3, Size: 16));
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(a, "manifest.json")));
        var splits = manifest.RootElement.GetProperty("splits");
        var seen = new HashSet<string>();
        foreach (var split in new[] { "train", "validation", "test" })
        {
            var names = splits.GetProperty(split).EnumerateArray().Select(e => e.GetString()!).ToArray();
            Assert.Equal(2, names.Length);
            foreach (var n in names) Assert.True(seen.Add(n), $"scene {n} appears in two splits");
        }

        string sceneDir = Path.Combine(a, "validation", splits.GetProperty("validation")[1].GetString()!);
        var meta = JsonSerializer.Deserialize<DatasetScene>(File.ReadAllText(Path.Combine(sceneDir, "cameras.json")), PosedDataset.Json)!;
        Assert.Equal(PosedDataset.SeedBase(DatasetSplit.Validation) + 1, meta.Seed);
        Assert.Equal(3, meta.Frames.Count);
        var raw = File.ReadAllBytes(Path.Combine(sceneDir, "frames.u8"));
        Assert.Equal(3 * 16 * 16 * 3, raw.Length);

        var scene = SceneGenerator.Generate(meta.Seed);
        var cam = meta.Frames[2];
        var pose = new Pose(new Vector3(cam.Position[0], cam.Position[1], cam.Position[2]), QuaternionMath.FromWxyz(cam.RotationWxyz[0], cam.RotationWxyz[1], cam.RotationWxyz[2], cam.RotationWxyz[3]));
        Assert.Null(pose.Validate());
        var k = new Intrinsics(meta.Intrinsics.Width, meta.Intrinsics.Height, meta.Intrinsics.Fx, meta.Intrinsics.Fy, meta.Intrinsics.Cx, meta.Intrinsics.Cy);
        Assert.Equal(scene.DefaultIntrinsics(16, 16), k);
        var fresh = RayTracer.Render(scene, pose, k).ToRgb8();
        Assert.Equal(fresh, raw[(2 * fresh.Length)..]);
        Assert.True(File.Exists(Path.Combine(sceneDir, cam.Image!)));
    }

    [Fact]
    public void Same_arguments_give_byte_identical_files_and_bad_arguments_are_rejected()
    {
        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b");
        var splits = new[] { DatasetSplit.Train };
        PosedDataset.Write(new DatasetOptions(a, 2, 4, 16, splits, WritePngs: false, Threads: 1));
        PosedDataset.Write(new DatasetOptions(b, 2, 4, 16, splits, WritePngs: false, Threads: 2));
        var files = Directory.GetFiles(a, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(a, f)).Order().ToArray();
        Assert.Equal(files, Directory.GetFiles(b, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(b, f)).Order().ToArray());
        Assert.DoesNotContain(files, f => f.EndsWith(".png", StringComparison.Ordinal));
        foreach (var f in files) Assert.Equal(File.ReadAllBytes(Path.Combine(a, f)), File.ReadAllBytes(Path.Combine(b, f)));
        Assert.Throws<ArgumentOutOfRangeException>(() => PosedDataset.Write(new DatasetOptions(a, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => PosedDataset.Write(new DatasetOptions(a, 1, Size: 4)));
    }
}
