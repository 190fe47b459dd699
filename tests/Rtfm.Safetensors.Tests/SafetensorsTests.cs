// The safetensors reader and writer: round trips, bf16/f16 conversion against hand-computed
// bits, alignment, atomic saves, and every malformed-file case ending in a clear
// InvalidDataException (never an index or overflow error), including a seeded byte fuzz.
using System.Buffers.Binary;
using System.Text;

namespace Rtfm.Safetensors.Tests;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rtfm-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Raw(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    private static float[] Random(int n, int seed)
    {
        var rng = new System.Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    [Fact]
    public void F32_round_trip_keeps_names_order_shapes_values_and_metadata()
    {
        var w = new SafetensorsWriter();
        var a = Random(12, 1);
        var b = Random(5, 2);
        w.Add("layer.b", a, [3, 4]);
        w.Add("layer.a", b, [5]);
        w.Add("scalar", [3.5f], []);
        w.Add("empty", [], [0, 3]);
        w.Metadata["model_card"] = "{\"x\": 1}";
        var f = SafetensorsFile.Parse(w.ToArray());
        Assert.Equal(["layer.b", "layer.a", "scalar", "empty"], f.Tensors.Select(t => t.Name));
        Assert.Equal(a, f.ReadFloat32("layer.b", 3, 4));
        Assert.Equal(b, f.ReadFloat32("layer.a"));
        Assert.Equal([3.5f], f.ReadFloat32("scalar"));
        Assert.Empty(f.ReadFloat32("empty", 0, 3));
        Assert.Equal("{\"x\": 1}", f.Metadata["model_card"]);
        Assert.Contains("expected [4, 3]", Assert.Throws<InvalidDataException>(() => f.ReadFloat32("layer.b", 4, 3)).Message);
        Assert.Throws<KeyNotFoundException>(() => f.Info("nope"));
    }

    [Fact]
    public void Header_is_padded_so_the_data_section_is_8_byte_aligned()
    {
        for (int n = 1; n < 9; n++)
        {
            var w = new SafetensorsWriter();
            w.Add(new string('x', n), [1f], [1]);
            var bytes = w.ToArray();
            Assert.Equal(0UL, (8 + BinaryPrimitives.ReadUInt64LittleEndian(bytes)) % 8);
        }
    }

    [Fact]
    public void Bf16_rounds_to_nearest_even_and_reads_back()
    {
        Assert.Equal(0x3F80, SafetensorsDtypes.ToBFloat16(1.0f));
        Assert.Equal(3.140625f, SafetensorsDtypes.FromBFloat16(SafetensorsDtypes.ToBFloat16(3.14159f)));
        // 1 + 2^-8 is half-way between bf16 1.0 (even) and 1.0078125: ties go to even.
        Assert.Equal(1.0f, SafetensorsDtypes.FromBFloat16(SafetensorsDtypes.ToBFloat16(1.00390625f)));
        // 1.0078125 + 2^-8 is half-way between 1.0078125 (odd) and 1.015625 (even).
        Assert.Equal(1.015625f, SafetensorsDtypes.FromBFloat16(SafetensorsDtypes.ToBFloat16(1.01171875f)));
        Assert.True(float.IsNaN(SafetensorsDtypes.FromBFloat16(SafetensorsDtypes.ToBFloat16(float.NaN))));
        Assert.Equal(float.PositiveInfinity, SafetensorsDtypes.FromBFloat16(SafetensorsDtypes.ToBFloat16(float.PositiveInfinity)));
        Assert.Equal(float.NegativeInfinity, SafetensorsDtypes.FromBFloat16(SafetensorsDtypes.ToBFloat16(float.NegativeInfinity)));
        var w = new SafetensorsWriter();
        w.Add("t", [1f, 3.14159f, -2f], [3], SafetensorsDtype.BF16);
        Assert.Equal([1f, 3.140625f, -2f], SafetensorsFile.Parse(w.ToArray()).ReadFloat32("t"));
    }

    [Fact]
    public void Hand_built_f16_and_bf16_files_convert_correctly()
    {
        var data = new byte[10];
        ushort[] halves = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x3E00];
        for (int i = 0; i < 5; i++) BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(i * 2), halves[i]);
        var f = SafetensorsFile.Parse(Raw("{\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]}}", data));
        var v = f.ReadFloat32("h");
        Assert.Equal([1f, -2f, 65504f, MathF.Pow(2, -24), 1.5f], v);
        var b = SafetensorsFile.Parse(Raw("{\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}", [0x49, 0x40]));
        Assert.Equal(3.140625f, b.ReadFloat32("b")[0]);
        var i8 = SafetensorsFile.Parse(Raw("{\"i\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}", [1, 2]));
        Assert.Contains("only F32, BF16 and F16", Assert.Throws<InvalidDataException>(() => i8.ReadFloat32("i")).Message);
    }

    public static TheoryData<string, byte[], string> Malformed
    {
        get
        {
            var good = new byte[8];
            var d = new TheoryData<string, byte[], string>
            {
                { "empty", [], "shorter than the 8-byte" },
                { "five bytes", [1, 2, 3, 4, 5], "shorter than the 8-byte" },
                { "non-json", Raw("{not json}", good), "not valid JSON" },
                { "array", Raw("[1,2]", good), "expected an object" },
                { "duplicate", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", good), "twice" },
                { "unknown dtype", Raw("{\"a\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,4]}}", good), "unknown dtype 'Q7'" },
                { "negative dim", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", good), "not a non-negative integer" },
                { "byte count", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[5,6],\"data_offsets\":[0,8]}}", good), "needs 120" },
                { "out of range", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", good), "truncated" },
                { "begin after end", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", good), "begin after they end" },
                { "overlap", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", good), "overlap" },
                { "metadata value", Raw("{\"__metadata__\":{\"k\":3}}", good), "expected a string" },
                { "overflowing shape", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,4]}}", good), "too many elements" },
                { "missing offsets", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", good), "data_offsets" },
            };
            var pastEnd = new byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(pastEnd, 1000);
            d.Add("header past end", pastEnd, "runs past the end of the file");
            var huge = new byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(huge, 1UL << 62);
            d.Add("huge header", huge, "limit");
            var w = new SafetensorsWriter();
            w.Add("t", new float[64], [64]);
            var full = w.ToArray();
            d.Add("truncated data", full[..(full.Length - 10)], "truncated");
            return d;
        }
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_files_fail_with_a_clear_message(string what, byte[] bytes, string phrase)
    {
        var ex = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(bytes));
        Assert.True(ex.Message.Contains(phrase, StringComparison.Ordinal), $"{what}: '{ex.Message}' lacks '{phrase}'");
    }

    [Fact]
    public void Saves_are_atomic_and_replace_existing_files()
    {
        string path = Path.Combine(_dir, "w.safetensors");
        var w = new SafetensorsWriter();
        w.Add("a", [1f, 2f], [2]);
        w.Save(path);
        var w2 = new SafetensorsWriter();
        w2.Add("b", [3f], [1]);
        w2.Save(path);
        Assert.Equal([3f], SafetensorsFile.Open(path).ReadFloat32("b"));
        Assert.Single(Directory.GetFiles(_dir));
        Assert.Throws<ArgumentException>(() => w2.Add("b", [1f], [1]));
        Assert.Throws<ArgumentException>(() => w2.Add("c", [1f, 2f], [3]));
        Assert.Throws<IOException>(() => SafetensorsFile.Open(Path.Combine(_dir, "missing.safetensors")));
    }

    [Fact]
    public void Random_corruption_either_parses_or_fails_cleanly()
    {
        var w = new SafetensorsWriter();
        w.Add("x", Random(40, 3), [8, 5]);
        w.Add("y", Random(7, 4), [7], SafetensorsDtype.BF16);
        w.Metadata["m"] = "v";
        var good = w.ToArray();
        var rng = new System.Random(99);
        for (int trial = 0; trial < 200; trial++)
        {
            var bytes = (byte[])good.Clone();
            if (trial % 3 == 0) bytes = bytes[..rng.Next(bytes.Length)];
            else for (int f = 0; f < 1 + trial % 4; f++) bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
            try
            {
                var file = SafetensorsFile.Parse(bytes);
                foreach (var t in file.Tensors)
                    if (t.Dtype is SafetensorsDtype.F32 or SafetensorsDtype.BF16 or SafetensorsDtype.F16) file.ReadFloat32(t.Name);
            }
            catch (InvalidDataException)
            {
            }
        }
    }
}
