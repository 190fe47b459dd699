// One interface over the three SIMD paths of the CPU engine (AVX-512, AVX2, scalar) so each
// kernel is written once. Every op is an exact IEEE lane-wise operation (fused where named),
// so a kernel whose reductions run per lane gives the same bits whatever the lane count:
// that is how the engine stays bit-identical across ISAs (docs/decisions.md).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Rtfm.Compute.Cpu.Kernels;

internal unsafe interface IFloatVector<TSelf> where TSelf : unmanaged, IFloatVector<TSelf>
{
    static abstract int Count { get; }
    static abstract TSelf Broadcast(float value);
    static abstract TSelf Load(float* source);
    static abstract void Store(TSelf value, float* destination);
    static abstract TSelf Add(TSelf a, TSelf b);
    static abstract TSelf Subtract(TSelf a, TSelf b);
    static abstract TSelf Multiply(TSelf a, TSelf b);
    static abstract TSelf Divide(TSelf a, TSelf b);
    static abstract TSelf Max(TSelf a, TSelf b);
    static abstract TSelf Min(TSelf a, TSelf b);

    /// <summary>a · b + c with one rounding.</summary>
    static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);
    static abstract TSelf Floor(TSelf a);

    /// <summary>2^n for lanes holding integral n in [-126, 127].</summary>
    static abstract TSelf Pow2(TSelf n);
}

internal unsafe readonly struct F512(Vector512<float> v) : IFloatVector<F512>
{
    private readonly Vector512<float> _v = v;
    public static int Count => 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Broadcast(float value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Load(float* source) => new(Vector512.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(F512 value, float* destination) => value._v.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Add(F512 a, F512 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Subtract(F512 a, F512 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Multiply(F512 a, F512 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Divide(F512 a, F512 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Max(F512 a, F512 b) => new(Vector512.Max(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Min(F512 a, F512 b) => new(Vector512.Min(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Fma(F512 a, F512 b, F512 c) => new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Floor(F512 a) => new(Vector512.Floor(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static F512 Pow2(F512 n) => new(Vector512.ShiftLeft(Vector512.ConvertToInt32(n._v) + Vector512.Create(127), 23).AsSingle());
}

internal unsafe readonly struct F256(Vector256<float> v) : IFloatVector<F256>
{
    private readonly Vector256<float> _v = v;
    public static int Count => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Broadcast(float value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Load(float* source) => new(Vector256.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(F256 value, float* destination) => value._v.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Add(F256 a, F256 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Subtract(F256 a, F256 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Multiply(F256 a, F256 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Divide(F256 a, F256 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Max(F256 a, F256 b) => new(Vector256.Max(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Min(F256 a, F256 b) => new(Vector256.Min(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Fma(F256 a, F256 b, F256 c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Floor(F256 a) => new(Vector256.Floor(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static F256 Pow2(F256 n) => new(Vector256.ShiftLeft(Vector256.ConvertToInt32(n._v) + Vector256.Create(127), 23).AsSingle());
}

internal unsafe readonly struct F1(float v) : IFloatVector<F1>
{
    private readonly float _v = v;
    public static int Count => 1;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Broadcast(float value) => new(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Load(float* source) => new(*source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(F1 value, float* destination) => *destination = value._v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Add(F1 a, F1 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Subtract(F1 a, F1 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Multiply(F1 a, F1 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Divide(F1 a, F1 b) => new(a._v / b._v);
    // MathF.Max/Min and Vector512.Max/Min both follow IEEE 754:2019 maximum/minimum (NaN propagates, +0 > -0).
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Max(F1 a, F1 b) => new(MathF.Max(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Min(F1 a, F1 b) => new(MathF.Min(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Fma(F1 a, F1 b, F1 c) => new(MathF.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Floor(F1 a) => new(MathF.Floor(a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F1 Pow2(F1 n) => new(BitConverter.Int32BitsToSingle(((int)n._v + 127) << 23));
}
