// The silo's settings (section "Rtfm" of appsettings.json, environment variables Rtfm__X,
// or --Rtfm:X=... on the command line), checked before anything starts.
namespace Rtfm.Silo;

public sealed class SiloHostOptions
{
    public const string Section = "Rtfm";

    public string DataDirectory { get; set; } = "rtfm-data";
    public string Storage { get; set; } = "file";
    public string? BlobConnectionString { get; set; }
    public string BlobStateContainer { get; set; } = "rtfm-state";
    public string BlobContentContainer { get; set; } = "rtfm-content";
    public string? WeightsPath { get; set; }
    public string Render { get; set; } = "cpu";
    public int Capacity { get; set; } = 4;
    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;
    public int EngineThreads { get; set; }

    /// <summary>With Render = cuda: the GPU's driver ordinal.</summary>
    public int CudaDevice { get; set; }

    /// <summary>With Render = cuda: share of the usable device memory for resident KV blocks (docs/cuda.md, "Capacity").</summary>
    public double CudaKvBudgetFraction { get; set; } = Rtfm.Cuda.Backend.CudaCapacityOptions.DefaultKvBudgetFraction;

    /// <summary>With Render = cuda: a fixed KV budget in bytes instead of the fraction.</summary>
    public long? CudaKvBudgetBytes { get; set; }

    /// <summary>With Render = cuda: the most sessions the GPU takes, whatever its memory allows.</summary>
    public int CudaMaxSessions { get; set; } = Rtfm.Cuda.Backend.CudaCapacityOptions.DefaultMaxSessions;

    /// <summary>How often this silo reports its health to the cluster (`rtfm health`).</summary>
    public TimeSpan HealthReportInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Host name or IP other silos and clients reach this silo at (multi-node clusters); null = loopback.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Every problem with the settings, each saying how to fix it.</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory)) p.Add("Rtfm:DataDirectory is empty: set a folder for grain state and world content");
        if (WeightsPath is not null && !File.Exists(WeightsPath)) p.Add($"Rtfm:WeightsPath '{WeightsPath}' does not exist: point it at a .safetensors file or remove it to use the untrained init");
        if (Storage is not ("file" or "blob")) p.Add($"Rtfm:Storage '{Storage}' must be file (this machine only) or blob (Azure Blob storage: any node resumes any world)");
        if (Storage == "blob" && string.IsNullOrWhiteSpace(BlobConnectionString))
            p.Add("Rtfm:BlobConnectionString is empty: with Rtfm:Storage=blob give an Azure Storage connection string (Azurite: UseDevelopmentStorage=true)");
        if (Render is not ("cpu" or "cuda" or "none")) p.Add($"Rtfm:Render '{Render}' must be cpu, cuda or none");
        if (Capacity < 1 || Capacity > 1024) p.Add($"Rtfm:Capacity {Capacity} must be between 1 and 1024");
        if (SiloPort is < 1 or > 65535) p.Add($"Rtfm:SiloPort {SiloPort} must be a TCP port (1-65535)");
        if (GatewayPort is < 1 or > 65535) p.Add($"Rtfm:GatewayPort {GatewayPort} must be a TCP port (1-65535)");
        if (SiloPort == GatewayPort) p.Add($"Rtfm:SiloPort and Rtfm:GatewayPort are both {SiloPort}: give them different ports");
        if (HealthReportInterval < TimeSpan.FromMilliseconds(100) || HealthReportInterval > TimeSpan.FromMinutes(5))
            p.Add($"Rtfm:HealthReportInterval {HealthReportInterval} must be between 00:00:00.1 and 00:05:00");
        if (CudaDevice < 0) p.Add($"Rtfm:CudaDevice {CudaDevice} must be a driver ordinal (0 for the first GPU)");
        if (CudaKvBudgetFraction is <= 0 or >= 1) p.Add($"Rtfm:CudaKvBudgetFraction {CudaKvBudgetFraction} must be between 0 and 1 (0.5 gives KV blocks half the usable device memory)");
        if (CudaKvBudgetBytes is <= 0) p.Add($"Rtfm:CudaKvBudgetBytes {CudaKvBudgetBytes} must be positive, or unset to use Rtfm:CudaKvBudgetFraction");
        if (CudaMaxSessions is < 1 or > 4096) p.Add($"Rtfm:CudaMaxSessions {CudaMaxSessions} must be between 1 and 4096");
        if (EngineThreads < 0 || EngineThreads > 256) p.Add($"Rtfm:EngineThreads {EngineThreads} must be between 0 (one per core) and 256");
        return p;
    }
}
