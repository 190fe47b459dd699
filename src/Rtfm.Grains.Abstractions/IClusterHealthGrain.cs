// Cluster health for admins: every silo reports what it sees every few seconds (render kind,
// whether storage is reachable, kept frames waiting to be written, a GPU that failed); `rtfm health` reads it.
namespace Rtfm.Grains.Abstractions;

/// <summary>One silo's view of its health at <see cref="ReportedAt"/>.</summary>
[GenerateSerializer, Immutable]
public sealed record SiloHealth(
    [property: Id(0)] string Silo,
    [property: Id(1)] string Render,
    [property: Id(2)] string Storage,
    [property: Id(3)] bool StorageHealthy,
    [property: Id(4)] int PendingFrames,
    [property: Id(5)] int FailingSessions,
    [property: Id(6)] string? LastError,
    [property: Id(7)] DateTimeOffset ReportedAt,
    [property: Id(8)] string? RenderFault = null)
{
    /// <summary>Storage unreachable, sessions failing to write, or the GPU unusable (<see cref="RenderFault"/>: the silo renders on its CPU).</summary>
    public bool Degraded => !StorageHealthy || FailingSessions > 0 || RenderFault is not null;
}

/// <summary>Key: "cluster" (one per cluster).</summary>
public interface IClusterHealthGrain : IGrainWithStringKey
{
    public const string Key = "cluster";

    Task ReportAsync(SiloHealth health);

    /// <summary>The latest report of every silo heard from recently (a silo silent for 30 s is dropped).</summary>
    Task<IReadOnlyList<SiloHealth>> GetAsync();
}
