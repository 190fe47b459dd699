// The model this silo renders with: its weights (loaded once at start) and what follows from
// them — image size, model id. Grains validate uploads against it.
using Rtfm.Model;
using Rtfm.Model.Weights;

namespace Rtfm.Grains.Services;

public sealed class PlatformModel(ModelWeights weights)
{
    public ModelWeights Weights { get; } = weights ?? throw new ArgumentNullException(nameof(weights));

    public ModelConfig Config => Weights.Config;

    /// <summary>"name@version", the tag of every KV block this model makes.</summary>
    public string ModelId => Weights.Card.Id;
}
