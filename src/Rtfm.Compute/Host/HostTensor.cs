// A tensor in managed host memory: a float[] storage, an element offset and a shape. Used by
// the reference backend and the CPU engine (views share the storage). Storage is allocated on
// the pinned object heap so kernels may hold raw pointers to it across a parallel op.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Rtfm.Core.Geometry;
namespace Rtfm.Compute.Host;

public sealed class HostTensor : Tensor
{
    public HostTensor(params int[] shape) : base(shape)
    {
        Storage = GC.AllocateArray<float>(Math.Max(Length, 1), pinned: true);
    }

    private HostTensor(float[] storage, int offset, int[] shape) : base(shape)
    {
        Storage = storage;
        Offset = offset;
    }

    public float[] Storage { get; }

    /// <summary>Element offset of this tensor in <see cref="Storage"/>.</summary>
    public int Offset { get; }

    public Span<float> Span => Storage.AsSpan(Offset, Length);

    /// <summary>Address of the first element (storage is pinned for the tensor's life).</summary>
    public unsafe float* Pointer => (float*)Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Storage), Offset));

    public override Tensor View(int offset, params int[] shape)
    {
        var view = new HostTensor(Storage, Offset + offset, shape);
        if (offset < 0 || offset + view.Length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"view of {view.ShapeText} at offset {offset} does not fit in {ShapeText}");
        return view;
    }

    /// <summary>The host tensor behind <paramref name="tensor"/>, or a clear error when it belongs to a device backend.</summary>
    public static HostTensor From(Tensor tensor, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        return tensor as HostTensor ?? throw new ArgumentException($"{name} is a {tensor.GetType().Name}, not a host tensor: pass tensors allocated by this backend", name);
    }

    // The data-movement ops every host backend shares (reference and CPU engine alike).

    public static void Upload(Tensor destination, ReadOnlySpan<float> source)
    {
        OpShapes.Length(destination, source.Length, nameof(destination));
        source.CopyTo(From(destination, nameof(destination)).Span);
    }

    public static void Download(Tensor source, Span<float> destination)
    {
        OpShapes.Length(source, destination.Length, nameof(destination));
        From(source, nameof(source)).Span.CopyTo(destination);
    }

    public static void Copy(Tensor source, Tensor destination)
    {
        OpShapes.Length(destination, source.Length, nameof(destination));
        From(source, nameof(source)).Span.CopyTo(From(destination, nameof(destination)).Span);
    }

    public static void WritePluckerRays(in Pose pose, in Intrinsics intrinsics, Tensor rays)
    {
        var (h, w) = OpShapes.Image(rays, 6, nameof(rays));
        if (h != intrinsics.Height || w != intrinsics.Width) throw new ArgumentException($"rays {rays.ShapeText} do not match the intrinsics' {intrinsics.Width}x{intrinsics.Height}", nameof(rays));
        PluckerRays.Compute(pose, intrinsics, From(rays, nameof(rays)).Span);
    }
}
