// Shape checks shared by every backend, so a wrong call fails the same clear way everywhere.
namespace Rtfm.Compute;

public static class OpShapes
{
    public static void Matrix(Tensor t, int rows, int cols, string name)
    {
        if (t.Rows != rows || t.Columns != cols)
            throw new ArgumentException($"{name} is {t.ShapeText}, expected ({rows}, {cols})", name);
    }

    public static void Length(Tensor t, int length, string name)
    {
        if (t.Length != length) throw new ArgumentException($"{name} has {t.Length} elements {t.ShapeText}, expected {length}", name);
    }

    public static void Linear(Tensor x, LinearWeight w, Tensor y)
    {
        if (x.Columns != w.InFeatures) throw new ArgumentException($"Linear: x is {x.ShapeText} but the weight expects {w.InFeatures} input features", nameof(x));
        Matrix(y, x.Rows, w.OutFeatures, nameof(y));
    }

    /// <summary>Checks attention shapes; returns (Tq, D, total keys).</summary>
    public static (int Tq, int D, int Keys) Attention(Tensor q, ReadOnlySpan<KvBlockView> context, Tensor k, Tensor v, Tensor o, int heads)
    {
        int tq = q.Rows, d = q.Columns;
        if (heads <= 0 || d % heads != 0) throw new ArgumentException($"Attention: width {d} is not divisible by {heads} heads", nameof(heads));
        Matrix(k, tq, d, "selfKeys");
        Matrix(v, tq, d, "selfValues");
        Matrix(o, tq, d, "output");
        int keys = tq;
        for (int b = 0; b < context.Length; b++)
        {
            var blk = context[b];
            if (blk.Keys.Columns != d || blk.Values.Columns != d || blk.Keys.Rows != blk.Values.Rows)
                throw new ArgumentException($"Attention: context block {b} has keys {blk.Keys.ShapeText} and values {blk.Values.ShapeText}, expected (T, {d}) each", nameof(context));
            keys += blk.Keys.Rows;
        }
        return (tq, d, keys);
    }

    public static (int H, int W) Image(Tensor t, int channels, string name)
    {
        if (t.Rank != 3 || t.Shape[2] != channels) throw new ArgumentException($"{name} is {t.ShapeText}, expected (H, W, {channels})", name);
        return (t.Shape[0], t.Shape[1]);
    }

    public static void Patchify(Tensor image, Tensor rays, int patch, Tensor tokens)
    {
        var (h, w) = Image(image, 3, nameof(image));
        var (rh, rw) = Image(rays, 6, nameof(rays));
        if (rh != h || rw != w) throw new ArgumentException($"rays {rays.ShapeText} do not match image {image.ShapeText}", nameof(rays));
        if (patch <= 0 || h % patch != 0 || w % patch != 0) throw new ArgumentException($"patch {patch} does not divide image {h}x{w}", nameof(patch));
        Matrix(tokens, h / patch * (w / patch), patch * patch * 9, nameof(tokens));
    }

    public static void Unpatchify(Tensor patches, int patch, Tensor image)
    {
        var (h, w) = Image(image, 3, nameof(image));
        if (patch <= 0 || h % patch != 0 || w % patch != 0) throw new ArgumentException($"patch {patch} does not divide image {h}x{w}", nameof(patch));
        Matrix(patches, h / patch * (w / patch), patch * patch * 3, nameof(patches));
    }

    public static void SamplerStep(Tensor x, Tensor xPred, float t, float tNext)
    {
        Length(xPred, x.Length, nameof(xPred));
        if (!(t >= 0f && t < 1f && tNext > t && tNext <= 1f))
            throw new ArgumentOutOfRangeException(nameof(t), $"sampler step needs 0 <= t < tNext <= 1, got t={t}, tNext={tNext}");
    }
}
