// Multi-head attention of a tile of queries over [context blocks ; self], streaming the keys in
// chunks of 64 with an online softmax: no score matrix beyond one chunk is ever held.
// Vectorised across queries (lanes), so every reduction (over the head dimension for a score,
// over keys for the softmax sum and the output) runs per lane in a fixed order: the lane count
// (16, 8 or 1) cannot change a bit of the result.
namespace Rtfm.Compute.Cpu.Kernels;

internal static unsafe class AttentionKernel
{
    /// <summary>Keys per online-softmax chunk. Part of the numerics: changing it changes bits.</summary>
    public const int Chunk = 64;

    /// <summary>One block of keys and values, (rows, D) row-major each.</summary>
    public struct KeyBlock
    {
        public float* Keys;
        public float* Values;
        public int Rows;
    }

    /// <summary>
    /// Attends T.Count queries whose head slices are given transposed in <paramref name="qt"/> (dh, L),
    /// writing the normalised output transposed into <paramref name="ot"/> (dh, L).
    /// <paramref name="scores"/> is scratch of Chunk·L floats. <paramref name="headOffset"/> = h·dh.
    /// </summary>
    public static void AttendTile<T>(float* qt, float* ot, float* scores, KeyBlock* blocks, int blockCount, int d, int dh, int headOffset, float scale)
        where T : unmanaged, IFloatVector<T>
    {
        int l = T.Count;
        T m = T.Broadcast(float.NegativeInfinity);
        T sum = T.Broadcast(0f);
        T zero = T.Broadcast(0f);
        T vscale = T.Broadcast(scale);
        for (int c = 0; c < dh; c++) T.Store(zero, ot + c * l);

        for (int b = 0; b < blockCount; b++)
        {
            KeyBlock blk = blocks[b];
            for (int j0 = 0; j0 < blk.Rows; j0 += Chunk)
            {
                int cn = Math.Min(Chunk, blk.Rows - j0);
                float* kBase = blk.Keys + (long)j0 * d + headOffset;
                float* vBase = blk.Values + (long)j0 * d + headOffset;

                // Scores for the chunk, four keys at a time (each key its own sequential sum over c).
                T cmax = T.Broadcast(float.NegativeInfinity);
                int j = 0;
                for (; j + 4 <= cn; j += 4)
                {
                    float* k0 = kBase + (long)j * d, k1 = k0 + d, k2 = k1 + d, k3 = k2 + d;
                    T a0 = zero, a1 = zero, a2 = zero, a3 = zero;
                    for (int c = 0; c < dh; c++)
                    {
                        T q = T.Load(qt + c * l);
                        a0 = T.Fma(q, T.Broadcast(k0[c]), a0);
                        a1 = T.Fma(q, T.Broadcast(k1[c]), a1);
                        a2 = T.Fma(q, T.Broadcast(k2[c]), a2);
                        a3 = T.Fma(q, T.Broadcast(k3[c]), a3);
                    }
                    a0 = T.Multiply(a0, vscale); a1 = T.Multiply(a1, vscale);
                    a2 = T.Multiply(a2, vscale); a3 = T.Multiply(a3, vscale);
                    T.Store(a0, scores + j * l); T.Store(a1, scores + (j + 1) * l);
                    T.Store(a2, scores + (j + 2) * l); T.Store(a3, scores + (j + 3) * l);
                    cmax = T.Max(T.Max(cmax, a0), T.Max(T.Max(a1, a2), a3));
                }
                for (; j < cn; j++)
                {
                    float* k0 = kBase + (long)j * d;
                    T a0 = zero;
                    for (int c = 0; c < dh; c++) a0 = T.Fma(T.Load(qt + c * l), T.Broadcast(k0[c]), a0);
                    a0 = T.Multiply(a0, vscale);
                    T.Store(a0, scores + j * l);
                    cmax = T.Max(cmax, a0);
                }

                // Online softmax: rescale what we have to the new running max.
                T mNew = T.Max(m, cmax);
                T alpha = VectorMath.Exp(T.Subtract(m, mNew));
                m = mNew;
                sum = T.Multiply(sum, alpha);
                for (int c = 0; c < dh; c++) T.Store(T.Multiply(T.Load(ot + c * l), alpha), ot + c * l);
                for (j = 0; j < cn; j++)
                {
                    T p = VectorMath.Exp(T.Subtract(T.Load(scores + j * l), m));
                    T.Store(p, scores + j * l);
                    sum = T.Add(sum, p);
                }

                // out += p · V, keys in order for every element.
                j = 0;
                for (; j + 4 <= cn; j += 4)
                {
                    T p0 = T.Load(scores + j * l), p1 = T.Load(scores + (j + 1) * l);
                    T p2 = T.Load(scores + (j + 2) * l), p3 = T.Load(scores + (j + 3) * l);
                    float* v0 = vBase + (long)j * d, v1 = v0 + d, v2 = v1 + d, v3 = v2 + d;
                    for (int c = 0; c < dh; c++)
                    {
                        T o = T.Load(ot + c * l);
                        o = T.Fma(p0, T.Broadcast(v0[c]), o);
                        o = T.Fma(p1, T.Broadcast(v1[c]), o);
                        o = T.Fma(p2, T.Broadcast(v2[c]), o);
                        o = T.Fma(p3, T.Broadcast(v3[c]), o);
                        T.Store(o, ot + c * l);
                    }
                }
                for (; j < cn; j++)
                {
                    T p0 = T.Load(scores + j * l);
                    float* v0 = vBase + (long)j * d;
                    for (int c = 0; c < dh; c++) T.Store(T.Fma(p0, T.Broadcast(v0[c]), T.Load(ot + c * l)), ot + c * l);
                }
            }
        }
        for (int c = 0; c < dh; c++) T.Store(T.Divide(T.Load(ot + c * l), sum), ot + c * l);
    }
}
