// Writes safetensors files: tensors in the order added, header padded with spaces so the data
// section starts 8-byte aligned, saved through a temporary file and an atomic rename so a
// crash never leaves a half-written file behind.
using System.Buffers.Binary;
using System.Text.Json;

namespace Rtfm.Safetensors;

public sealed class SafetensorsWriter
{
    private readonly List<(string Name, SafetensorsDtype Dtype, long[] Shape, byte[] Data)> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public void Add(string name, ReadOnlySpan<float> data, long[] shape, SafetensorsDtype dtype = SafetensorsDtype.F32)
    {
        if (string.IsNullOrEmpty(name) || name == "__metadata__") throw new ArgumentException($"tensor name '{name}' is not allowed", nameof(name));
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(d => d < 0)) throw new ArgumentException($"tensor '{name}' shape [{string.Join(", ", shape)}] has a negative dimension", nameof(shape));
        long elements = shape.Aggregate(1L, (a, d) => checked(a * d));
        if (elements != data.Length) throw new ArgumentException($"tensor '{name}' has {data.Length} values but shape [{string.Join(", ", shape)}] holds {elements}", nameof(data));
        if (!_names.Add(name)) throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        byte[] bytes;
        switch (dtype)
        {
            case SafetensorsDtype.F32:
                bytes = new byte[data.Length * 4];
                for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
                break;
            case SafetensorsDtype.BF16:
                bytes = new byte[data.Length * 2];
                for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), SafetensorsDtypes.ToBFloat16(data[i]));
                break;
            default:
                throw new ArgumentException($"writing dtype {dtype} is not supported (F32 or BF16)", nameof(dtype));
        }
        _tensors.Add((name, dtype, (long[])shape.Clone(), bytes));
    }

    public void Save(Stream output)
    {
        using var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (Metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in Metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in _tensors)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.Dtype.ToString());
                json.WriteStartArray("shape");
                foreach (long d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.Data.Length;
            }
            json.WriteEndObject();
        }
        while ((header.Length + 8) % 8 != 0) header.WriteByte((byte)' ');
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        output.Write(len);
        header.Position = 0;
        header.CopyTo(output);
        foreach (var t in _tensors) output.Write(t.Data);
    }

    public void Save(string path)
    {
        string full = Path.GetFullPath(path);
        string tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                Save(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>The file as bytes (for tests and small golden files).</summary>
    public byte[] ToArray()
    {
        using var ms = new MemoryStream();
        Save(ms);
        return ms.ToArray();
    }
}
