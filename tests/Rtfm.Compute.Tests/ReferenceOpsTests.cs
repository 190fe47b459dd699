// The reference ops against hand-computed values: they define the meaning of each op, so
// they are pinned with numbers worked out on paper, not with another implementation.
using Rtfm.Compute.Reference;
using Rtfm.Core.Geometry;

namespace Rtfm.Compute.Tests;

public sealed class ReferenceOpsTests
{
    private readonly ReferenceBackend _b = new();

    private Tensor T(float[] data, params int[] shape)
    {
        var t = _b.Allocate(shape);
        _b.Upload(t, data);
        return t;
    }

    private float[] D(Tensor t)
    {
        var a = new float[t.Length];
        _b.Download(t, a);
        return a;
    }

    [Fact]
    public void Linear_matches_hand_computed_product_with_bias()
    {
        // x = [[1, 2]], W (2, 3) = [[1, 0, 2], [3, 1, 0]], b = [0.5, 0, -1] -> [7.5, 2, 1]
        var w = _b.PrepareLinear([1, 0, 2, 3, 1, 0], [0.5f, 0, -1], 2, 3);
        var y = _b.Allocate(1, 3);
        _b.Linear(T([1, 2], 1, 2), w, y);
        Assert.Equal([7.5f, 2f, 1f], D(y));
    }

    [Fact]
    public void Attention_with_equal_scores_averages_values_and_with_one_key_copies_it()
    {
        // Keys all zero -> equal scores -> mean of values.
        var q = T([1, 2], 1, 2);
        var kSelf = T([0, 0], 1, 2);
        var vSelf = T([3, 5], 1, 2);
        var ctx = new KvBlockView(T([0, 0, 0, 0], 2, 2), T([1, 1, 2, 3], 2, 2));
        var o = _b.Allocate(1, 2);
        _b.Attention(q, [ctx], kSelf, vSelf, o, heads: 1);
        var got = D(o);
        Assert.Equal(2f, got[0], 5); // (1 + 2 + 3) / 3
        Assert.Equal(3f, got[1], 5); // (1 + 3 + 5) / 3
        _b.Attention(q, [], kSelf, vSelf, o, heads: 1);
        Assert.Equal([3f, 5f], D(o));
    }

    [Fact]
    public void Attention_softmax_weights_are_exp_of_scaled_scores()
    {
        // One head, dh = 1: scores q·k / 1 = [0, ln 3] -> weights [1/4, 3/4].
        var q = T([1], 1, 1);
        var ctx = new KvBlockView(T([0], 1, 1), T([10], 1, 1));
        var o = _b.Allocate(1, 1);
        _b.Attention(q, [ctx], T([MathF.Log(3)], 1, 1), T([2], 1, 1), o, heads: 1);
        Assert.Equal(0.25f * 10 + 0.75f * 2, D(o)[0], 5);
    }

    [Fact]
    public void LayerNormModulate_matches_hand_computed_values()
    {
        // x = [1, 2, 3, 4]: mean 2.5, var 1.25, (x - mean)/sqrt(1.25) = [-1.3416, -0.4472, 0.4472, 1.3416]
        var y = _b.Allocate(1, 4);
        _b.LayerNormModulate(T([1, 2, 3, 4], 1, 4), T([0, 0, 1, 0], 4), T([0, 1, 0, -1], 4), y, 0f);
        var got = D(y);
        Assert.Equal(-1.3416408f, got[0], 5);
        Assert.Equal(-0.8944272f, got[1], 5); // scale 1 doubles it
        Assert.Equal(1.4472136f, got[2], 5);  // shift +1
        Assert.Equal(0f, got[3], 5);          // scale -1 zeroes it
    }

    [Fact]
    public void Gelu_matches_known_values()
    {
        var y = _b.Allocate(4);
        _b.Gelu(T([0, 1, -1, 3], 4), y);
        var got = D(y);
        Assert.Equal(0f, got[0], 6);
        Assert.Equal(0.841192f, got[1], 5);
        Assert.Equal(-0.158808f, got[2], 5);
        Assert.Equal(2.996363f, got[3], 5);
    }

    [Fact]
    public void Patchify_lays_out_pixels_then_rays_per_patch_in_raster_order()
    {
        // 4x4 image, patch 2: token 1 is the top-right patch (rows 0-1, cols 2-3).
        var img = T(TensorAssert.Arange(48), 4, 4, 3);
        var rays = T(TensorAssert.Arange(96, 1, 1000), 4, 4, 6);
        var tok = _b.Allocate(4, 36);
        _b.PatchifyWithRays(img, rays, 2, tok);
        var t = D(tok);
        int o = 36; // token 1
        Assert.Equal(new float[] { 6, 7, 8, 9, 10, 11, 18, 19, 20, 21, 22, 23 }, t[o..(o + 12)]);
        Assert.Equal(1000 + 12f, t[o + 12]);   // ray of pixel (0, 2), channel 0
        Assert.Equal(1000 + (1 * 4 + 3) * 6 + 5f, t[o + 35]); // ray of pixel (1, 3), channel 5
        var back = _b.Allocate(4, 4, 3);
        var pix = _b.Allocate(4, 12);
        var tt = D(tok);
        var pixData = new float[48];
        for (int i = 0; i < 4; i++) Array.Copy(tt, i * 36, pixData, i * 12, 12);
        _b.Upload(pix, pixData);
        _b.Unpatchify(pix, 2, back);
        Assert.Equal(TensorAssert.Arange(48), D(back));
    }

    [Fact]
    public void SamplerStep_moves_towards_prediction_and_lands_on_it_at_t1()
    {
        var x = T([0, 2], 2);
        _b.SamplerStep(x, T([4, 2], 2), 0.5f, 0.75f); // a = 0.25 / 0.5 = 0.5
        Assert.Equal([2f, 2f], D(x));
        _b.SamplerStep(x, T([-1, 7], 2), 0.75f, 1f);
        Assert.Equal([-1f, 7f], D(x));
    }

    [Fact]
    public void GatedResidualAdd_broadcasts_gate_over_rows()
    {
        var x = T([1, 1, 1, 1], 2, 2);
        _b.GatedResidualAdd(x, T([2, -1], 2), T([1, 2, 3, 4], 2, 2));
        Assert.Equal([3f, -1f, 7f, -3f], D(x));
    }

    [Fact]
    public void Ops_reject_wrong_shapes_with_clear_messages()
    {
        var w = _b.PrepareLinear(new float[6], [], 2, 3);
        var ex = Assert.Throws<ArgumentException>(() => _b.Linear(_b.Allocate(1, 4), w, _b.Allocate(1, 3)));
        Assert.Contains("expects 2 input features", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => _b.Attention(_b.Allocate(2, 6), [], _b.Allocate(2, 6), _b.Allocate(2, 6), _b.Allocate(2, 6), 4));
        Assert.Contains("not divisible by 4 heads", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => _b.SamplerStep(_b.Allocate(2), _b.Allocate(2), 1f, 1f));
        Assert.Throws<ArgumentException>(() => _b.PluckerRays(Pose.Identity, Intrinsics.FromFieldOfView(8, 8, 60), _b.Allocate(4, 4, 6)));
    }
}
