// Placement of sessions: only on silos that advertise a renderer in their silo metadata
// (rtfm.render = cpu | cuda); among those, Orleans' activation-count placement picks the least
// loaded. Worlds and tiles have no such filter and may live anywhere.
using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Rtfm.Grains.Placement;

public static class RenderMetadata
{
    /// <summary>Silo metadata key: what the silo can render with ("cpu", "cuda", or "none").</summary>
    public const string Render = "rtfm.render";

    /// <summary>Silo metadata key: concurrent sessions the silo is sized for.</summary>
    public const string Capacity = "rtfm.capacity";

    public static bool CanRender(string? value) => value is "cpu" or "cuda";
}

public sealed class RenderCapableFilterStrategy() : PlacementFilterStrategy(order: 0);

/// <summary>Restricts a grain to silos whose metadata says they can render.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class RenderCapableFilterAttribute() : PlacementFilterAttribute(new RenderCapableFilterStrategy());

public sealed class RenderCapableFilterDirector(ISiloMetadataCache metadata) : IPlacementFilterDirector
{
    public IEnumerable<SiloAddress> Filter(PlacementFilterStrategy filterStrategy, PlacementTarget target, IEnumerable<SiloAddress> silos)
    {
        var capable = silos.Where(s => metadata.GetSiloMetadata(s).Metadata.TryGetValue(RenderMetadata.Render, out var v) && RenderMetadata.CanRender(v)).ToArray();
        if (capable.Length == 0)
            throw new OrleansException($"no silo in the cluster can render (none advertises {RenderMetadata.Render} = cpu or cuda): start a render silo");
        return capable;
    }
}
