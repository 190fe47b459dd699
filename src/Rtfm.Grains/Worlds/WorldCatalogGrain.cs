// The cluster's list of worlds (for `rtfm world list`), maintained by WorldGrain on create
// and delete. Small state: world ids only.
using Rtfm.Grains.Abstractions;

namespace Rtfm.Grains.Worlds;

[GenerateSerializer]
public sealed class WorldCatalogState
{
    [Id(0)] public SortedSet<string> Worlds { get; set; } = new(StringComparer.Ordinal);
}

public sealed class WorldCatalogGrain(
    [PersistentState("catalog", RtfmStorageNames.State)] IPersistentState<WorldCatalogState> state) : Grain, IWorldCatalogGrain
{
    public async Task AddAsync(string worldId)
    {
        if (state.State.Worlds.Add(worldId)) await state.WriteStateAsync();
    }

    public async Task RemoveAsync(string worldId)
    {
        if (state.State.Worlds.Remove(worldId)) await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> ListAsync() => Task.FromResult<IReadOnlyList<string>>(state.State.Worlds.ToArray());
}
