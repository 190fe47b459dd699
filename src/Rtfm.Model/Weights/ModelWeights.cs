// The parameters of RTFM-tiny in PyTorch orientation, with the model card, loaded from or saved
// to safetensors (f32 written; f32, bf16 and f16 read). A seeded random init stands in until
// trained weights ship, and says "untrained" everywhere it appears.
using System.Globalization;
using Rtfm.Core.Numerics;
using Rtfm.Safetensors;

namespace Rtfm.Model.Weights;

public sealed class ModelWeights
{
    private readonly Dictionary<string, float[]> _tensors;

    private ModelWeights(ModelCard card, Dictionary<string, float[]> tensors)
    {
        Card = card;
        _tensors = tensors;
    }

    public ModelCard Card { get; }

    public ModelConfig Config => Card.Config;

    /// <summary>A parameter by name, PyTorch orientation: weights (out, in), biases (out).</summary>
    public float[] this[string name] => _tensors.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"model has no parameter '{name}'");

    public IReadOnlyCollection<string> Names => _tensors.Keys;

    /// <summary>
    /// Seeded random init. Unlike DiT's adaLN-zero (which the trainer uses), every gate and the
    /// output head are random here, so every op moves the output and tests see all of them.
    /// </summary>
    public static ModelWeights RandomInit(ModelConfig config, ulong seed = 1)
    {
        config.EnsureValid();
        var rng = new DeterministicRandom(seed);
        var tensors = new Dictionary<string, float[]>();
        foreach (var (name, fanIn, fanOut) in ParameterNames.Linears(config))
        {
            // Uniform(-a, a) with a = sqrt(3 / fanIn): unit variance in, unit variance out.
            float a = MathF.Sqrt(3f / fanIn);
            if (name.EndsWith(".ada", StringComparison.Ordinal)) a *= 0.5f; // modulations ~ +/-0.5
            var w = new float[fanIn * fanOut];
            for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextDouble(-a, a);
            var b = new float[fanOut];
            for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble(-0.02, 0.02);
            tensors[name + ".weight"] = w;
            tensors[name + ".bias"] = b;
        }
        var card = new ModelCard(
            Name: $"rtfm-tiny-{config.ImageWidth}",
            Version: $"untrained-seed{seed}",
            Trained: false,
            Config: config,
            Parameters: ParameterNames.ParameterCount(config),
            Description: "Seeded random initialisation: the network runs end to end, but its frames are not a rendering of anything.",
            InitSeed: seed);
        return new ModelWeights(card, tensors);
    }

    /// <summary>Loads weights and their card (x.card.json beside x.safetensors, else the safetensors metadata).</summary>
    public static ModelWeights Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"weights file {path} does not exist", path);
        var file = SafetensorsFile.Open(path);
        ModelCard card;
        string cardPath = ModelCard.PathFor(path);
        if (File.Exists(cardPath)) card = ModelCard.FromJson(File.ReadAllText(cardPath), cardPath);
        else if (file.Metadata.TryGetValue("model_card", out var json)) card = ModelCard.FromJson(json, path + " (metadata)");
        else throw new InvalidDataException($"weights {path} have no model card: expected {cardPath} or a 'model_card' metadata entry");

        var config = card.Config.EnsureValid();
        var tensors = new Dictionary<string, float[]>();
        foreach (var (name, fanIn, fanOut) in ParameterNames.Linears(config))
        {
            tensors[name + ".weight"] = Read(file, path, name + ".weight", fanOut, fanIn);
            tensors[name + ".bias"] = Read(file, path, name + ".bias", fanOut);
        }
        return new ModelWeights(card, tensors);
    }

    private static float[] Read(SafetensorsFile file, string path, string name, params long[] shape)
    {
        if (!file.Contains(name)) throw new InvalidDataException($"weights {path} lack parameter '{name}' (shape [{string.Join(", ", shape)}])");
        return file.ReadFloat32(name, shape);
    }

    /// <summary>Saves f32 safetensors (card also in its metadata) and the card JSON beside it.</summary>
    public void Save(string path)
    {
        var writer = new SafetensorsWriter();
        foreach (var (name, fanIn, fanOut) in ParameterNames.Linears(Config))
        {
            writer.Add(name + ".weight", this[name + ".weight"], [fanOut, fanIn]);
            writer.Add(name + ".bias", this[name + ".bias"], [fanOut]);
        }
        writer.Metadata["model_card"] = Card.ToJson();
        writer.Metadata["format"] = "rtfm";
        writer.Metadata["parameters"] = Card.Parameters.ToString(CultureInfo.InvariantCulture);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        writer.Save(path);
        File.WriteAllText(ModelCard.PathFor(path), Card.ToJson());
    }

    /// <summary>The weight of a linear layer transposed to (in, out), as backends take it.</summary>
    public float[] TransposedWeight(string linearName, int fanIn, int fanOut)
    {
        var w = this[linearName + ".weight"]; // (out, in)
        var t = new float[w.Length];
        for (int o = 0; o < fanOut; o++)
            for (int i = 0; i < fanIn; i++) t[i * fanOut + o] = w[o * fanIn + i];
        return t;
    }
}
