// Persistent state of the world and tile grains: references only (content names), never pixels.
using Rtfm.Grains.Abstractions;

namespace Rtfm.Grains.Worlds;

[GenerateSerializer]
public sealed class WorldState
{
    [Id(0)] public bool Exists { get; set; }
    [Id(1)] public string Owner { get; set; } = "";
    [Id(2)] public string ModelId { get; set; } = "";
    [Id(3)] public float TileSize { get; set; }
    [Id(4)] public int FrameCount { get; set; }
    [Id(5)] public List<TileCell> Tiles { get; set; } = [];
    [Id(6)] public DateTimeOffset Created { get; set; }
    [Id(7)] public DateTimeOffset Updated { get; set; }
    [Id(8)] public IntrinsicsDto? Intrinsics { get; set; }
    [Id(9)] public int? SceneSeed { get; set; }
}

[GenerateSerializer]
public sealed class TileState
{
    [Id(0)] public List<FrameRecord> Frames { get; set; } = [];
    [Id(1)] public List<ViewRecord> Views { get; set; } = [];
}

/// <summary>A session's durable part: the world it views, so that a session whose silo died
/// reopens by itself on another silo (steps carry everything else).</summary>
[GenerateSerializer]
public sealed class SessionState
{
    [Id(0)] public string? WorldId { get; set; }
}

/// <summary>Names of the grain storage providers the platform uses.</summary>
public static class RtfmStorageNames
{
    public const string State = "rtfm-state";
}
