// Shared inputs for model tests: a small config (fast on the reference backend), seeded
// random weights, and posed frames of random pixels (fresh data, never zeros).
using System.Numerics;
using Rtfm.Core.Geometry;
using Rtfm.Core.Imaging;
using Rtfm.Model.Weights;

namespace Rtfm.Model.Tests;

internal static class ModelTestKit
{
    /// <summary>32x32 frames, patch 8 (16 tokens), width 64, 2 layers, 2 heads, K = 3.</summary>
    public static ModelConfig Small => new(ImageHeight: 32, ImageWidth: 32, Patch: 8, Width: 64, Depth: 2, Heads: 2, ContextFrames: 3, SamplerSteps: 3, TimeFrequencies: 32);

    public static Intrinsics IntrinsicsFor(ModelConfig c) => Intrinsics.FromFieldOfView(c.ImageWidth, c.ImageHeight, 65);

    public static RgbImage RandomFrame(ModelConfig c, ulong seed) => RgbImage.Noise(c.ImageWidth, c.ImageHeight, seed);

    public static Pose PoseAt(float x, float z, float yawDegrees)
    {
        float yaw = yawDegrees * MathF.PI / 180f;
        var eye = new Vector3(x, 1.5f, z);
        return Pose.LookAt(eye, eye + new Vector3(MathF.Sin(yaw), 0, MathF.Cos(yaw)));
    }

    public static ModelWeights RandomWeights(ModelConfig c, ulong seed = 3) => ModelWeights.RandomInit(c, seed);
}
