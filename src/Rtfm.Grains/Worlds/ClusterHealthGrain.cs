// The cluster's health board: the latest report of each silo, in memory only (reports arrive
// every few seconds; a new activation is full again after one round).
using Rtfm.Grains.Abstractions;

namespace Rtfm.Grains.Worlds;

public sealed class ClusterHealthGrain(TimeProvider time) : Grain, IClusterHealthGrain
{
    private static readonly TimeSpan Silent = TimeSpan.FromSeconds(30);
    private readonly Dictionary<string, SiloHealth> _silos = new(StringComparer.Ordinal);

    public Task ReportAsync(SiloHealth health)
    {
        ArgumentNullException.ThrowIfNull(health);
        _silos[health.Silo] = health;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<SiloHealth>> GetAsync()
    {
        var now = time.GetUtcNow();
        foreach (var key in _silos.Where(s => now - s.Value.ReportedAt > Silent).Select(s => s.Key).ToArray()) _silos.Remove(key);
        return Task.FromResult<IReadOnlyList<SiloHealth>>(_silos.Values.OrderBy(s => s.Silo, StringComparer.Ordinal).ToArray());
    }
}
