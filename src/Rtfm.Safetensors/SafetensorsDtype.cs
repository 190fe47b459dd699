// Element types of the safetensors format and their sizes.
namespace Rtfm.Safetensors;

public enum SafetensorsDtype
{
    F32,
    BF16,
    F16,
    F64,
    I64,
    I32,
    I16,
    I8,
    U8,
    BOOL,
}

public static class SafetensorsDtypes
{
    public static int Size(this SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.F64 or SafetensorsDtype.I64 => 8,
        SafetensorsDtype.F32 or SafetensorsDtype.I32 => 4,
        SafetensorsDtype.BF16 or SafetensorsDtype.F16 or SafetensorsDtype.I16 => 2,
        _ => 1,
    };

    public static bool TryParse(string text, out SafetensorsDtype dtype)
    {
        foreach (var d in Enum.GetValues<SafetensorsDtype>())
        {
            if (string.Equals(d.ToString(), text, StringComparison.Ordinal)) { dtype = d; return true; }
        }
        dtype = default;
        return false;
    }

    /// <summary>f32 -> bf16 bits, round to nearest even; NaN stays NaN (quiet).</summary>
    public static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040);
        uint rounding = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + rounding) >> 16);
    }

    public static float FromBFloat16(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    public static float FromFloat16(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);
}
