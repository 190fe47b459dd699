// A frame turned into activations: its keys and values at every layer, computed with the
// frame attending to itself only. It depends on (image, pose, intrinsics, weights) alone, so
// it can be cached, stored and shared between sessions and nodes: RTFM's "world as a KV cache".
using Rtfm.Compute;
using Rtfm.Compute.Host;

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

    /// <summary>Whether the block lives in host memory (the CPU engine's tensors, and the form a device engine hands to sessions).</summary>
    public bool IsOnHost => Keys[0] is HostTensor;

    public KvBlockView Layer(int layer) => new(Keys[layer], Values[layer]);
}

/// <summary>A block with its cache key: "model version|content name of the frame", shared by every session that sees that frame.</summary>
public readonly record struct KeyedKvBlock(string Key, KvBlock Block);
