// Messages between clients and the world/tile grains: immutable records with explicit field
// ids (the Orleans serializer's contract), no Orleans-specific logic.
namespace Rtfm.Grains.Abstractions;

/// <summary>A camera pose on the wire: position and unit quaternion [w, x, y, z] (docs/conventions.md).</summary>
[GenerateSerializer, Immutable]
public sealed record PoseDto(
    [property: Id(0)] float X,
    [property: Id(1)] float Y,
    [property: Id(2)] float Z,
    [property: Id(3)] float Qw,
    [property: Id(4)] float Qx,
    [property: Id(5)] float Qy,
    [property: Id(6)] float Qz);

/// <summary>Pinhole intrinsics on the wire.</summary>
[GenerateSerializer, Immutable]
public sealed record IntrinsicsDto(
    [property: Id(0)] int Width,
    [property: Id(1)] int Height,
    [property: Id(2)] float Fx,
    [property: Id(3)] float Fy,
    [property: Id(4)] float Cx,
    [property: Id(5)] float Cy);

/// <summary>One posed image uploaded by a user: PNG bytes and the pose it was taken from.</summary>
[GenerateSerializer, Immutable]
public sealed record PosedImage(
    [property: Id(0)] byte[] Png,
    [property: Id(1)] PoseDto Pose);

/// <summary>
/// Create a world from the user's posed images, or (when <see cref="SceneSeed"/> is set and no
/// images are given) from the first frames of a procedural scene's walk.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record WorldCreateRequest(
    [property: Id(0)] string Owner,
    [property: Id(1)] IReadOnlyList<PosedImage> Images,
    [property: Id(2)] IntrinsicsDto? Intrinsics,
    [property: Id(3)] int? SceneSeed = null,
    [property: Id(4)] int SceneFrames = 1,
    [property: Id(5)] float TileSize = 4f);

[GenerateSerializer, Immutable]
public sealed record WorldInfo(
    [property: Id(0)] string WorldId,
    [property: Id(1)] string Owner,
    [property: Id(2)] string ModelId,
    [property: Id(3)] float TileSize,
    [property: Id(4)] int FrameCount,
    [property: Id(5)] int TileCount,
    [property: Id(6)] DateTimeOffset Created,
    [property: Id(7)] DateTimeOffset Updated,
    [property: Id(8)] IntrinsicsDto Intrinsics,
    [property: Id(9)] int? SceneSeed,
    [property: Id(10)] bool Importing = false);

/// <summary>A frame in spatial memory: where it was seen from and the content names of its image and KV block.</summary>
[GenerateSerializer, Immutable]
public sealed record FrameRecord(
    [property: Id(0)] string FrameId,
    [property: Id(1)] PoseDto Pose,
    [property: Id(2)] string ImageName,
    [property: Id(3)] string? KvName,
    [property: Id(4)] string? KvModelVersion,
    [property: Id(5)] bool Generated);

/// <summary>
/// A view rendered from exactly <see cref="Pose"/> but not kept as memory (it was not novel):
/// cached per tile so an exact revisit shows the same frame, never used as render context.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ViewRecord(
    [property: Id(0)] PoseDto Pose,
    [property: Id(1)] string ImageName);

/// <summary>A tile's integer cell coordinates on the ground plane (x, z).</summary>
[GenerateSerializer, Immutable]
public readonly record struct TileCell([property: Id(0)] int X, [property: Id(1)] int Z)
{
    public static TileCell Of(float x, float z, float tileSize) => new((int)MathF.Floor(x / tileSize), (int)MathF.Floor(z / tileSize));

    /// <summary>The grain key of this tile in <paramref name="worldId"/>: "world/x/z".</summary>
    public string Key(string worldId) => $"{worldId}/{X}/{Z}";

    /// <summary>This cell and its eight neighbours.</summary>
    public IEnumerable<TileCell> WithNeighbours()
    {
        for (int dz = -1; dz <= 1; dz++)
            for (int dx = -1; dx <= 1; dx++) yield return new TileCell(X + dx, Z + dz);
    }
}

/// <summary>The description of a world being imported from an archive (its frames follow in batches).</summary>
[GenerateSerializer, Immutable]
public sealed record WorldImportHeader(
    [property: Id(0)] string Owner,
    [property: Id(1)] float TileSize,
    [property: Id(2)] IntrinsicsDto Intrinsics,
    [property: Id(3)] int? SceneSeed);

/// <summary>One frame of an archive: its record (id, pose, image name, generated) and its PNG bytes.</summary>
[GenerateSerializer, Immutable]
public sealed record ImportedFrame(
    [property: Id(0)] FrameRecord Record,
    [property: Id(1)] byte[] Png);

/// <summary>A tile's frames, and the image name of the view cached at the asked pose (null when none).</summary>
[GenerateSerializer, Immutable]
public sealed record TileRead(
    [property: Id(0)] IReadOnlyList<FrameRecord> Frames,
    [property: Id(1)] string? ViewImage);
