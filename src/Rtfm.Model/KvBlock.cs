// A frame turned into activations: its keys and values at every layer, computed with the
// frame attending to itself only. It depends on (image, pose, intrinsics, weights) alone, so
// it can be cached, stored and shared between sessions and nodes: RTFM's "world as a KV cache".
using Rtfm.Compute;

namespace Rtfm.Model;

public sealed class KvBlock
{
    internal KvBlock(string modelVersion, Tensor[] keys, Tensor[] values)
    {
        ModelVersion = modelVersion;
        Keys = keys;
        Values = values;
    }

    /// <summary>The model version that produced the block; a block is only valid with that model.</summary>
    public string ModelVersion { get; }

    /// <summary>Per layer (T, D) keys.</summary>
    public IReadOnlyList<Tensor> Keys { get; }

    /// <summary>Per layer (T, D) values.</summary>
    public IReadOnlyList<Tensor> Values { get; }

    public int Layers => Keys.Count;

    public int Tokens => Keys[0].Rows;

    /// <summary>Size of the block in f32 bytes.</summary>
    public long Bytes => 2L * Layers * Keys[0].Length * sizeof(float);

    public KvBlockView Layer(int layer) => new(Keys[layer], Values[layer]);
}
