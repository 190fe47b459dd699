// The silo's settings (section "Rtfm" of appsettings.json, environment variables Rtfm__X,
// or --Rtfm:X=... on the command line), checked before anything starts.
namespace Rtfm.Silo;

public sealed class SiloHostOptions
{
    public const string Section = "Rtfm";

    public string DataDirectory { get; set; } = "rtfm-data";
    public string? WeightsPath { get; set; }
    public string Render { get; set; } = "cpu";
    public int Capacity { get; set; } = 4;
    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;
    public int EngineThreads { get; set; }

    /// <summary>Every problem with the settings, each saying how to fix it.</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory)) p.Add("Rtfm:DataDirectory is empty: set a folder for grain state and world content");
        if (WeightsPath is not null && !File.Exists(WeightsPath)) p.Add($"Rtfm:WeightsPath '{WeightsPath}' does not exist: point it at a .safetensors file or remove it to use the untrained init");
        if (Render is not ("cpu" or "cuda" or "none")) p.Add($"Rtfm:Render '{Render}' must be cpu, cuda or none");
        if (Capacity < 1 || Capacity > 1024) p.Add($"Rtfm:Capacity {Capacity} must be between 1 and 1024");
        if (SiloPort is < 1 or > 65535) p.Add($"Rtfm:SiloPort {SiloPort} must be a TCP port (1-65535)");
        if (GatewayPort is < 1 or > 65535) p.Add($"Rtfm:GatewayPort {GatewayPort} must be a TCP port (1-65535)");
        if (SiloPort == GatewayPort) p.Add($"Rtfm:SiloPort and Rtfm:GatewayPort are both {SiloPort}: give them different ports");
        if (EngineThreads < 0 || EngineThreads > 256) p.Add($"Rtfm:EngineThreads {EngineThreads} must be between 0 (one per core) and 256");
        return p;
    }
}
