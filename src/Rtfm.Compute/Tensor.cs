// A dense f32 tensor owned by one compute backend (host memory for the CPU engines, device
// memory for CUDA). Row-major, contiguous; a view is a contiguous sub-range of another tensor.
namespace Rtfm.Compute;

public abstract class Tensor
{
    protected Tensor(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(shape), $"tensor shape [{string.Join(", ", shape)}] has a negative dimension");
            n = checked(n * d);
        }
        if (n > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(shape), $"tensor shape [{string.Join(", ", shape)}] is too large");
        Shape = shape;
        Length = (int)n;
    }

    /// <summary>Dimensions, outermost first.</summary>
    public int[] Shape { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    public int Rank => Shape.Length;

    /// <summary>Size of the innermost dimension (a row).</summary>
    public int Columns => Shape.Length == 0 ? 1 : Shape[^1];

    /// <summary>Number of rows when viewed as a matrix (all dimensions but the last).</summary>
    public int Rows => Columns == 0 ? 0 : Length / Columns;

    /// <summary>A contiguous view of <paramref name="shape"/> elements starting at <paramref name="offset"/> elements into this tensor.</summary>
    public abstract Tensor View(int offset, params int[] shape);

    public string ShapeText => $"[{string.Join(", ", Shape)}]";

    public override string ToString() => $"Tensor{ShapeText}";
}
