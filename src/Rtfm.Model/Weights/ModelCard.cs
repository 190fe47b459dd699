// The model card: a JSON file beside the weights that says what the weights are — config,
// version, whether they were trained, and how. "untrained" is said plainly wherever a
// seeded random init is used.
using System.Text.Json;

namespace Rtfm.Model.Weights;

public sealed record ModelCard(
    string Name,
    string Version,
    bool Trained,
    ModelConfig Config,
    long Parameters,
    string Description,
    string? Training = null,
    ulong? InitSeed = null)
{
    /// <summary>"name@version": what KV blocks are tagged with; a block is valid only with the same id.</summary>
    public string Id => Name + "@" + Version;

    /// <summary>The card path for a weights file: "x.safetensors" -> "x.card.json".</summary>
    public static string PathFor(string weightsPath) => Path.ChangeExtension(weightsPath, null) + ".card.json";

    public string ToJson() => JsonSerializer.Serialize(this, ModelConfig.JsonOptions);

    public static ModelCard FromJson(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelCard>(json, ModelConfig.JsonOptions)
                ?? throw new InvalidDataException($"model card {source} is empty");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"model card {source} is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>One line for logs and the CLI, e.g. "rtfm-tiny-64 untrained-seed1 (UNTRAINED: seeded random weights)".</summary>
    public string Summary => Trained ? $"{Name} {Version} (trained; {Parameters:N0} parameters)" : $"{Name} {Version} (UNTRAINED: seeded random weights, frames are not meaningful)";
}
