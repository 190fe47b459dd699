// One tensor entry of a safetensors header.
namespace Rtfm.Safetensors;

/// <param name="DataBegin">Offset of the first byte in the data section.</param>
/// <param name="DataEnd">Offset one past the last byte in the data section.</param>
public sealed record SafetensorsTensorInfo(string Name, SafetensorsDtype Dtype, IReadOnlyList<long> Shape, long DataBegin, long DataEnd)
{
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);

    public string ShapeText => $"[{string.Join(", ", Shape)}]";
}
