// A viewing session on one world: open it, then step through poses; each step returns the
// rendered frame and what it cost.
namespace Rtfm.Grains.Abstractions;

[GenerateSerializer, Immutable]
public sealed record SessionInfo(
    [property: Id(0)] string WorldId,
    [property: Id(1)] string ModelId,
    [property: Id(2)] IntrinsicsDto Intrinsics,
    [property: Id(3)] long Steps,
    [property: Id(4)] string Silo,
    [property: Id(5)] int PendingFrames = 0,
    [property: Id(6)] string? WriteError = null);

/// <summary>One step. <see cref="Sequence"/> makes retries safe: a step with the last sequence number returns the last result again.</summary>
[GenerateSerializer, Immutable]
public sealed record StepRequest(
    [property: Id(0)] long Sequence,
    [property: Id(1)] PoseDto Pose);

[GenerateSerializer, Immutable]
public sealed record StepResult(
    [property: Id(0)] long Sequence,
    [property: Id(1)] byte[] Png,
    [property: Id(2)] IReadOnlyList<string> ContextFrameIds,
    [property: Id(3)] bool FromMemory,
    [property: Id(4)] bool WrittenBack,
    [property: Id(5)] double RenderMilliseconds,
    [property: Id(6)] double TotalMilliseconds,
    [property: Id(7)] int CandidateFrames);

/// <summary>Key: any session id. Not shared between clients.</summary>
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>Opens (or re-opens) the session on a world; KeyNotFoundException when the world does not exist.
    /// The world id is stored: a session whose silo dies reopens by itself at its next step elsewhere.</summary>
    Task<SessionInfo> OpenAsync(string worldId);

    /// <summary>Renders one pose. The step answers once the frame is rendered; what it keeps (a novel
    /// frame, a cached view) is written behind, visible to this session at once and to others
    /// when written (docs/decisions.md, "Write-behind sessions").</summary>
    Task<StepResult> StepAsync(StepRequest request);

    /// <summary>Waits until everything this session kept is written to its world; returns how many
    /// items were written. Throws when storage fails (the items stay queued and are retried).</summary>
    Task<int> FlushAsync();

    /// <summary>The world, steps and hosting silo of this activation (steps restart at 0 on a new activation),
    /// and the write-behind's health: kept frames not yet stored and, when storage is failing, why.</summary>
    Task<SessionInfo> GetInfoAsync();
}
