// The noise seed of a rendered frame is a function of the world seed and the exact pose, so
// the same view of the same world is sampled with the same noise on every visit and node.
using Rtfm.Core.Geometry;
using Rtfm.Core.Numerics;

namespace Rtfm.Model.Memory;

public static class FrameSeeds
{
    public static ulong For(ulong worldSeed, in Pose pose)
    {
        ulong h = worldSeed;
        Mix(ref h, pose.Position.X);
        Mix(ref h, pose.Position.Y);
        Mix(ref h, pose.Position.Z);
        Mix(ref h, pose.Rotation.W);
        Mix(ref h, pose.Rotation.X);
        Mix(ref h, pose.Rotation.Y);
        Mix(ref h, pose.Rotation.Z);
        return h;
    }

    private static void Mix(ref ulong h, float v)
    {
        ulong x = h ^ (uint)BitConverter.SingleToInt32Bits(v + 0f); // +0f folds -0 into +0
        h = DeterministicRandom.SplitMix64(ref x);
    }
}
