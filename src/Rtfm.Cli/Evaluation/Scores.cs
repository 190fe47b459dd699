// Accumulators for the evaluation: per-image PSNR, SSIM and sharpness of one method (the model
// or a baseline) against the ground truth, and a comparison that holds the model and its
// baselines for the same targets.
using Rtfm.Core.Imaging;

namespace Rtfm.Cli.Evaluation;

internal sealed class MethodScores
{
    public List<double> Psnr { get; } = [];
    public List<double> Ssim { get; } = [];
    public List<double> Sharpness { get; } = [];

    public void Add(RgbImage image, RgbImage truth)
    {
        Psnr.Add(ImageMetrics.Psnr(image, truth));
        Ssim.Add(ImageMetrics.Ssim(image, truth));
        Sharpness.Add(ImageMetrics.Sharpness(image));
    }

    /// <summary>Mean of the per-image PSNRs (as the trainer reports it); +inf when any image is an exact copy.</summary>
    public double MeanPsnr => Psnr.Count == 0 ? double.NaN : Psnr.Average();

    public double MeanSsim => Ssim.Count == 0 ? double.NaN : Ssim.Average();
}

/// <summary>The model and its baselines on the same targets.</summary>
internal sealed class Comparison
{
    public MethodScores Model { get; } = new();
    public MethodScores Nearest { get; } = new();
    public MethodScores Blurred { get; } = new();
    public MethodScores Mean { get; } = new();
    public List<double> TruthSharpness { get; } = [];

    public int Count => TruthSharpness.Count;

    public void Add(RgbImage truth, RgbImage model, RgbImage nearest, RgbImage blurred, RgbImage mean)
    {
        TruthSharpness.Add(ImageMetrics.Sharpness(truth));
        Model.Add(model, truth);
        Nearest.Add(nearest, truth);
        Blurred.Add(blurred, truth);
        Mean.Add(mean, truth);
    }

    /// <summary>
    /// Mean sharpness of a method over the mean sharpness of the ground truth (a ratio of means,
    /// so a nearly flat target cannot blow the figure up).
    /// </summary>
    /// <summary>Targets where the model's PSNR is above the nearest frame's.</summary>
    public int ModelAboveNearest => Model.Psnr.Zip(Nearest.Psnr).Count(p => p.First > p.Second);

    public double SharpnessRatio(MethodScores m) => TruthSharpness.Sum() is var t && t > 0 ? m.Sharpness.Sum() / t : double.NaN;
}
