// Finds and loads the model: explicit --weights, else models/rtfm-tiny-64.safetensors (from the
// working directory or any parent, or beside the executable), else a seeded random init that
// is labelled UNTRAINED wherever it is reported.
using Rtfm.Compute.Cpu;
using Rtfm.Model;
using Rtfm.Model.Weights;

namespace Rtfm.Cli.Rendering;

internal static class ModelLoading
{
    public const string DefaultWeightsFile = "rtfm-tiny-64.safetensors";

    public static ModelWeights LoadWeights(string? path)
    {
        if (path is not null)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"weights file '{path}' does not exist");
            try { return ModelWeights.Load(path); }
            catch (InvalidDataException ex) { throw new InvalidDataException($"cannot read weights '{path}': {ex.Message}", ex); }
        }
        string? found = FindDefault();
        return found is null ? ModelWeights.RandomInit(ModelConfig.Tiny, seed: 1) : ModelWeights.Load(found);
    }

    private static string? FindDefault()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "models", DefaultWeightsFile);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    public static RtfmModel Create(ModelWeights weights, int threads, CpuIsa isa) =>
        new(weights, new CpuBackend(new CpuEngineOptions(threads, isa)));
}
