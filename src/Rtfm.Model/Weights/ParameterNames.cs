// Names and shapes of every parameter of RTFM-tiny, in PyTorch's nn.Linear orientation
// (weight (out, in), bias (out)), which is how the safetensors file stores them.
namespace Rtfm.Model.Weights;

public static class ParameterNames
{
    public static string Block(int layer, string name) => $"blocks.{layer}.{name}";

    /// <summary>Every linear layer: name prefix, input features, output features.</summary>
    public static IEnumerable<(string Name, int In, int Out)> Linears(ModelConfig c)
    {
        yield return ("embed", c.EmbedInputWidth, c.Width);
        yield return ("time.fc1", c.TimeFrequencies, c.Width);
        yield return ("time.fc2", c.Width, c.Width);
        for (int l = 0; l < c.Depth; l++)
        {
            yield return (Block(l, "ada"), c.Width, 6 * c.Width);
            yield return (Block(l, "attn.q"), c.Width, c.Width);
            yield return (Block(l, "attn.k"), c.Width, c.Width);
            yield return (Block(l, "attn.v"), c.Width, c.Width);
            yield return (Block(l, "attn.out"), c.Width, c.Width);
            if (c.RayFeatureWidth > 0)
            {
                yield return (Block(l, "attn.ray_q"), c.RayFeatureWidth, c.Width);
                yield return (Block(l, "attn.ray_k"), c.RayFeatureWidth, c.Width);
            }
            yield return (Block(l, "mlp.fc1"), c.Width, c.MlpWidth);
            yield return (Block(l, "mlp.fc2"), c.MlpWidth, c.Width);
        }
        yield return ("final.ada", c.Width, 2 * c.Width);
        yield return ("final.linear", c.Width, c.PatchPixelWidth);
    }

    public static long ParameterCount(ModelConfig c) => Linears(c).Sum(l => (long)l.In * l.Out + l.Out);
}
