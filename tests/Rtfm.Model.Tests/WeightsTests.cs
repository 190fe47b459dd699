// Weights on disk: save/load round trip renders the same frame; damaged files fail clearly.
using Rtfm.Compute.Cpu;
using Rtfm.Model.Weights;
using Rtfm.Safetensors;
using static Rtfm.Model.Tests.ModelTestKit;

namespace Rtfm.Model.Tests;

public sealed class WeightsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rtfm-weights-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Saved_weights_load_back_identically_with_their_card()
    {
        var c = Small;
        var w = RandomWeights(c, seed: 8);
        string path = Path.Combine(_dir, "m.safetensors");
        w.Save(path);
        Assert.True(File.Exists(ModelCard.PathFor(path)));
        var back = ModelWeights.Load(path);
        Assert.Equal(w.Card, back.Card);
        Assert.Equal(c, back.Config);
        Assert.False(back.Card.Trained);
        Assert.Contains("UNTRAINED", back.Card.Summary);
        foreach (var name in w.Names) Assert.Equal(w[name], back[name]);

        // Without the card file the metadata copy is used.
        File.Delete(ModelCard.PathFor(path));
        Assert.Equal(c, ModelWeights.Load(path).Config);

        var k = IntrinsicsFor(c);
        using var m1 = new RtfmModel(w, new CpuBackend());
        using var m2 = new RtfmModel(back, new CpuBackend());
        var b1 = m1.Encode(RandomFrame(c, 1), PoseAt(0, 0, 0), k);
        var b2 = m2.Encode(RandomFrame(c, 1), PoseAt(0, 0, 0), k);
        Assert.Equal(m1.Render(PoseAt(0.1f, 0, 0), k, [b1], 4).Pixels, m2.Render(PoseAt(0.1f, 0, 0), k, [b2], 4).Pixels);
    }

    [Fact]
    public void Bf16_weights_load_as_their_rounded_values()
    {
        var c = Small;
        var w = RandomWeights(c, seed: 12);
        var writer = new SafetensorsWriter();
        foreach (var (name, fanIn, fanOut) in ParameterNames.Linears(c))
        {
            writer.Add(name + ".weight", w[name + ".weight"], [fanOut, fanIn], SafetensorsDtype.BF16);
            writer.Add(name + ".bias", w[name + ".bias"], [fanOut], SafetensorsDtype.BF16);
        }
        writer.Metadata["model_card"] = w.Card.ToJson();
        string path = Path.Combine(_dir, "bf16.safetensors");
        writer.Save(path);
        var back = ModelWeights.Load(path);
        foreach (var name in w.Names)
        {
            var want = w[name].Select(v => SafetensorsDtypes.FromBFloat16(SafetensorsDtypes.ToBFloat16(v))).ToArray();
            Assert.Equal(want, back[name]);
        }
        Assert.NotEqual(w["embed.weight"], back["embed.weight"]); // rounding did happen
    }

    [Fact]
    public void Damaged_or_mismatched_weights_fail_with_clear_errors()
    {
        var c = Small;
        string path = Path.Combine(_dir, "m.safetensors");
        RandomWeights(c).Save(path);
        var bytes = File.ReadAllBytes(path);

        string truncated = Path.Combine(_dir, "t.safetensors");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        File.Copy(ModelCard.PathFor(path), ModelCard.PathFor(truncated));
        Assert.IsAssignableFrom<InvalidDataException>(Record.Exception(() => ModelWeights.Load(truncated)));

        // A card that promises a wider model than the tensors hold.
        string wrong = Path.Combine(_dir, "w.safetensors");
        File.Copy(path, wrong);
        var card = ModelCard.FromJson(File.ReadAllText(ModelCard.PathFor(path)), "test");
        File.WriteAllText(ModelCard.PathFor(wrong), (card with { Config = c with { Width = 128 } }).ToJson());
        var ex = Record.Exception(() => ModelWeights.Load(wrong));
        Assert.IsAssignableFrom<InvalidDataException>(ex);

        File.WriteAllText(ModelCard.PathFor(wrong), "{ not json");
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => ModelWeights.Load(wrong)).Message);
        Assert.Throws<FileNotFoundException>(() => ModelWeights.Load(Path.Combine(_dir, "missing.safetensors")));
    }
}
