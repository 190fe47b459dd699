// Finds and loads the model: explicit --weights, else models/rtfm-tiny-64.safetensors (from the
// working directory or any parent, or beside the executable), else a seeded random init that
// is labelled UNTRAINED wherever it is reported.
using Rtfm.Compute.Cpu;
using Rtfm.Model;
using Rtfm.Model.Weights;

namespace Rtfm.Cli.Rendering;

internal static class ModelLoading
{
    public static ModelWeights LoadWeights(string? path)
    {
        if (path is not null)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"weights file '{path}' does not exist");
            try { return ModelWeights.Load(path); }
            catch (InvalidDataException ex) { throw new InvalidDataException($"cannot read weights '{path}': {ex.Message}", ex); }
        }
        string? found = DefaultWeights.Find();
        return found is null ? ModelWeights.RandomInit(ModelConfig.Tiny, seed: 1) : ModelWeights.Load(found);
    }

    /// <summary>The weights file a run uses: the given one, else the shipped one, else null (untrained init).</summary>
    public static string? ResolvePath(string? path) => path ?? DefaultWeights.Find();

    public static RtfmModel Create(ModelWeights weights, int threads, CpuIsa isa) =>
        new(weights, new CpuBackend(new CpuEngineOptions(threads, isa)));
}
