// Stored KV blocks: a round trip renders the same frame; any flipped byte or truncation is
// detected; a block of another model is refused with the mismatch exception.
using Rtfm.Compute.Cpu;
using static Rtfm.Model.Tests.ModelTestKit;

namespace Rtfm.Model.Tests;

public sealed class KvBlockCodecTests
{
    [Fact]
    public void Round_trip_renders_the_same_frame()
    {
        var c = Small;
        var k = IntrinsicsFor(c);
        using var model = new RtfmModel(RandomWeights(c), new CpuBackend(new CpuEngineOptions(2)));
        var block = model.Encode(RandomFrame(c, 1), PoseAt(0, 0, 0), k);
        var bytes = model.SerializeBlock(block);
        var back = model.DeserializeBlock(bytes);
        Assert.Equal(block.Bytes, back.Bytes);
        Assert.Equal(model.Render(PoseAt(0.2f, 0, 5), k, [block], 9).Pixels, model.Render(PoseAt(0.2f, 0, 5), k, [back], 9).Pixels);
        Assert.Equal(bytes, model.SerializeBlock(back));
    }

    [Fact]
    public void Corruption_is_detected_every_time_and_other_models_blocks_are_refused()
    {
        var c = Small;
        var k = IntrinsicsFor(c);
        using var model = new RtfmModel(RandomWeights(c), new CpuBackend(new CpuEngineOptions(1)));
        var bytes = model.SerializeBlock(model.Encode(RandomFrame(c, 2), PoseAt(0, 0, 0), k));
        var rng = new Random(5);
        for (int trial = 0; trial < 100; trial++)
        {
            var bad = (byte[])bytes.Clone();
            bad[rng.Next(bad.Length)] ^= (byte)(1 << rng.Next(8));
            Assert.Throws<InvalidDataException>(() => model.DeserializeBlock(bad));
        }
        Assert.Throws<InvalidDataException>(() => model.DeserializeBlock(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<InvalidDataException>(() => model.DeserializeBlock([]));

        using var other = new RtfmModel(RandomWeights(c, seed: 77), new CpuBackend(new CpuEngineOptions(1)));
        var ex = Assert.Throws<KvBlockMismatchException>(() => other.DeserializeBlock(bytes));
        Assert.Contains("re-encode", ex.Message);
    }
}
