// How many sessions a GPU silo takes, from the device's free memory (docs/cuda.md, "Capacity"):
//   usable   U = free − model − reserve              (model: prepared weights + the first stream's workspace;
//                                                    reserve: a fraction of free, for the driver and fragmentation)
//   KV budget B = KvBudgetBytes, or KvBudgetFraction × U
//   per session S = workspace (activations, scratch) + one block to encode into
//   sessions = min(MaxSessions, ⌊(U − B) / S⌋, ⌊B / (K × block)⌋)   (each render pins its K context blocks)
using Rtfm.Cuda.Devices;
using Rtfm.Model;

namespace Rtfm.Cuda.Backend;

/// <summary>How a GPU silo divides its device memory.</summary>
public sealed class CudaCapacityOptions
{
    public const double DefaultKvBudgetFraction = 0.5;
    public const double DefaultReserveFraction = 0.1;
    public const int DefaultMaxSessions = 64;

    /// <summary>Share of the usable memory (free after weights and reserve) given to resident KV blocks.</summary>
    public double KvBudgetFraction { get; set; } = DefaultKvBudgetFraction;

    /// <summary>A fixed KV budget in bytes instead of the fraction; null = the fraction.</summary>
    public long? KvBudgetBytes { get; set; }

    /// <summary>Share of the free memory left alone (driver, module images, fragmentation).</summary>
    public double ReserveFraction { get; set; } = DefaultReserveFraction;

    /// <summary>Upper bound on sessions whatever the memory allows (compute, not memory, limits a big GPU first).</summary>
    public int MaxSessions { get; set; } = DefaultMaxSessions;

    /// <summary>Throws with how to fix it when a value is out of range.</summary>
    public void Validate()
    {
        if (KvBudgetFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(KvBudgetFraction), $"Cuda.KvBudgetFraction {KvBudgetFraction} must be in (0, 1)");
        if (ReserveFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(ReserveFraction), $"Cuda.ReserveFraction {ReserveFraction} must be in [0, 1)");
        if (KvBudgetBytes is <= 0) throw new ArgumentOutOfRangeException(nameof(KvBudgetBytes), $"Cuda.KvBudgetBytes {KvBudgetBytes} must be positive (or unset for the fraction)");
        if (MaxSessions < 1) throw new ArgumentOutOfRangeException(nameof(MaxSessions), $"Cuda.MaxSessions {MaxSessions} must be at least 1");
    }
}

/// <summary>The division of one device's memory, and the session capacity it gives.</summary>
public sealed record CudaCapacity(
    long FreeBytes, long TotalBytes, long ModelBytes, long ReserveBytes, long KvBudgetBytes,
    long BytesPerSession, long KvWorkingSetPerSession, int Sessions)
{
    /// <summary>Computes the division for <paramref name="config"/>; throws InvalidOperationException when not one session fits.</summary>
    public static CudaCapacity Compute(DeviceMemoryInfo memory, ModelConfig config, GemmPrecision gemm, CudaCapacityOptions options)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        long weights = PreparedWeightBytes(config, gemm) + RtfmModel.WorkspaceBytes(config);
        long reserve = (long)(options.ReserveFraction * memory.FreeBytes);
        long usable = memory.FreeBytes - weights - reserve;
        long block = RtfmModel.BlockBytes(config);
        long perSession = RtfmModel.WorkspaceBytes(config) + block;
        long kvPerSession = config.ContextFrames * block;
        long budget = options.KvBudgetBytes ?? (long)(options.KvBudgetFraction * Math.Max(0, usable));
        long byScratch = usable > budget ? (usable - budget) / perSession : 0;
        long byKv = budget / kvPerSession;
        int sessions = (int)Math.Min(options.MaxSessions, Math.Min(byScratch, byKv));
        if (sessions < 1)
            throw new InvalidOperationException(
                $"the device has {memory.FreeBytes} bytes free of {memory.TotalBytes}: after {weights} bytes of weights and workspace and a {reserve}-byte reserve, " +
                $"{usable} bytes cannot hold one session ({perSession} bytes of workspace) and its KV working set ({kvPerSession} bytes) within a {budget}-byte KV budget");
        return new CudaCapacity(memory.FreeBytes, memory.TotalBytes, weights, reserve, budget, perSession, kvPerSession, sessions);
    }

    /// <summary>Device bytes of the prepared weights: bf16 Wᵀ (or f32 W) and f32 bias per linear layer, in 256-byte allocations.</summary>
    public static long PreparedWeightBytes(ModelConfig c, GemmPrecision gemm)
    {
        ArgumentNullException.ThrowIfNull(c);
        int d = c.Width;
        var shapes = new List<(long In, long Out)> { (c.TokenInputWidth, d), (c.TimeFrequencies, d), (d, d), (d, 2L * d), (d, c.PatchPixelWidth) };
        for (int l = 0; l < c.Depth; l++) shapes.AddRange([(d, 6L * d), (d, d), (d, d), (d, d), (d, d), (d, c.MlpWidth), (c.MlpWidth, d)]);
        int element = gemm == GemmPrecision.Bf16 ? 2 : 4;
        static long Rounded(long bytes) => (bytes + 255) / 256 * 256;
        long bytes = shapes.Sum(s => Rounded(s.In * s.Out * element) + Rounded(s.Out * sizeof(float)));
        // Ray features (F > 0): embed's ray columns (no bias), every layer's ray_q and ray_k.
        if (c.RayFeatureWidth > 0)
            bytes += Rounded((long)c.RayFeatureWidth * d * element) + 2L * c.Depth * (Rounded((long)c.RayFeatureWidth * d * element) + Rounded(d * sizeof(float)));
        return bytes;
    }

    public override string ToString() =>
        $"{Sessions} sessions: {FreeBytes >> 20} MiB free of {TotalBytes >> 20} MiB, model {ModelBytes >> 20} MiB, reserve {ReserveBytes >> 20} MiB, " +
        $"KV budget {KvBudgetBytes >> 20} MiB ({KvWorkingSetPerSession >> 10} KiB per session's context), {BytesPerSession >> 10} KiB workspace per session";
}
