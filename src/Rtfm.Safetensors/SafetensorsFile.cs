// A strict safetensors reader: 8-byte little-endian header length, a JSON header mapping
// names to {dtype, shape, data_offsets} (plus optional string __metadata__), then the data.
// Every way a file can be malformed ends in an InvalidDataException that says what is
// wrong — never an index, overflow or out-of-memory error.
using System.Buffers.Binary;
using System.Text.Json;

namespace Rtfm.Safetensors;

public sealed class SafetensorsFile
{
    /// <summary>Largest header accepted (the format's own limit is 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly byte[] _bytes;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;

    private SafetensorsFile(byte[] bytes, long dataStart, List<SafetensorsTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        _bytes = bytes;
        _dataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensors in header order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    public static SafetensorsFile Open(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot read safetensors file '{path}': {ex.Message}", ex);
        }
        try { return Parse(bytes); }
        catch (InvalidDataException ex) { throw new InvalidDataException($"{path}: {ex.Message}", ex); }
    }

    public static SafetensorsFile Parse(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 8) throw new InvalidDataException($"file is {bytes.Length} bytes, shorter than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes) throw new InvalidDataException($"header length {headerLength} is larger than the {MaxHeaderBytes}-byte limit");
        if ((long)headerLength > bytes.Length - 8) throw new InvalidDataException($"header length {headerLength} runs past the end of the file (file is {bytes.Length} bytes)");
        long dataStart = 8 + (long)headerLength;
        long dataLength = bytes.Length - dataStart;

        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength), new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException ex) { throw new InvalidDataException($"header is not valid JSON: {ex.Message}", ex); }
        try
        {
            return ParseHeader(doc, bytes, dataStart, dataLength);
        }
        catch (InvalidOperationException ex)
        {
            // System.Text.Json reports invalid UTF-8 inside names and strings this way.
            throw new InvalidDataException($"header is not valid UTF-8 JSON: {ex.Message}", ex);
        }
        finally
        {
            doc.Dispose();
        }
    }

    private static SafetensorsFile ParseHeader(JsonDocument doc, byte[] bytes, long dataStart, long dataLength)
    {
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"header is a JSON {doc.RootElement.ValueKind}, expected an object");
        var tensors = new List<SafetensorsTensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            if (!seen.Add(entry.Name)) throw new InvalidDataException($"header names '{entry.Name}' twice");
            if (entry.Name == "__metadata__")
            {
                if (entry.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException("__metadata__ is not an object");
                foreach (var m in entry.Value.EnumerateObject())
                {
                    if (m.Value.ValueKind != JsonValueKind.String) throw new InvalidDataException($"__metadata__ value '{m.Name}' is a {m.Value.ValueKind}, expected a string");
                    metadata[m.Name] = m.Value.GetString()!;
                }
                continue;
            }
            tensors.Add(ParseEntry(entry, dataLength));
        }
        CheckOverlaps(tensors);
        return new SafetensorsFile(bytes, dataStart, tensors, metadata);
    }

    private static SafetensorsTensorInfo ParseEntry(JsonProperty entry, long dataLength)
    {
        string name = entry.Name;
        if (name.Length == 0) throw new InvalidDataException("a tensor has an empty name");
        var v = entry.Value;
        if (v.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"tensor '{name}' is a JSON {v.ValueKind}, expected an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String) throw new InvalidDataException($"tensor '{name}' has no string 'dtype'");
        if (!SafetensorsDtypes.TryParse(dt.GetString()!, out var dtype)) throw new InvalidDataException($"tensor '{name}' has unknown dtype '{dt.GetString()}'");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"tensor '{name}' has no 'shape' array");
        var shape = new List<long>();
        long elements = 1;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw new InvalidDataException($"tensor '{name}' has a shape entry {d} that is not a non-negative integer");
            shape.Add(dim);
            try { elements = checked(elements * dim); }
            catch (OverflowException) { throw new InvalidDataException($"tensor '{name}' shape [{string.Join(", ", shape)}...] has too many elements"); }
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new InvalidDataException($"tensor '{name}' has no 'data_offsets' pair");
        var o = off.EnumerateArray().ToArray();
        if (!o[0].TryGetInt64(out long begin) || !o[1].TryGetInt64(out long end) || begin < 0 || end < 0)
            throw new InvalidDataException($"tensor '{name}' data_offsets must be two non-negative integers");
        if (begin > end) throw new InvalidDataException($"tensor '{name}' data_offsets [{begin}, {end}] begin after they end");
        if (end > dataLength) throw new InvalidDataException($"tensor '{name}' data_offsets [{begin}, {end}] run past the data section ({dataLength} bytes): the file is truncated");
        long need;
        try { need = checked(elements * dtype.Size()); }
        catch (OverflowException) { throw new InvalidDataException($"tensor '{name}' is too large"); }
        if (end - begin != need)
            throw new InvalidDataException($"tensor '{name}' data_offsets [{begin}, {end}] hold {end - begin} bytes but dtype {dtype} with shape [{string.Join(", ", shape)}] needs {need}");
        return new SafetensorsTensorInfo(name, dtype, shape, begin, end);
    }

    private static void CheckOverlaps(List<SafetensorsTensorInfo> tensors)
    {
        var sorted = tensors.Where(t => t.DataEnd > t.DataBegin).OrderBy(t => t.DataBegin).ToList();
        for (int i = 1; i < sorted.Count; i++)
            if (sorted[i].DataBegin < sorted[i - 1].DataEnd)
                throw new InvalidDataException($"tensors '{sorted[i - 1].Name}' and '{sorted[i].Name}' overlap in the data section");
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public SafetensorsTensorInfo Info(string name) =>
        _byName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"safetensors file has no tensor '{name}'");

    /// <summary>The tensor as floats (F32, BF16 and F16 are converted).</summary>
    public float[] ReadFloat32(string name)
    {
        var t = Info(name);
        var src = _bytes.AsSpan((int)(_dataStart + t.DataBegin), (int)(t.DataEnd - t.DataBegin));
        var result = new float[t.ElementCount];
        switch (t.Dtype)
        {
            case SafetensorsDtype.F32:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(i * 4)..]);
                break;
            case SafetensorsDtype.BF16:
                for (int i = 0; i < result.Length; i++) result[i] = SafetensorsDtypes.FromBFloat16(BinaryPrimitives.ReadUInt16LittleEndian(src[(i * 2)..]));
                break;
            case SafetensorsDtype.F16:
                for (int i = 0; i < result.Length; i++) result[i] = SafetensorsDtypes.FromFloat16(BinaryPrimitives.ReadUInt16LittleEndian(src[(i * 2)..]));
                break;
            default:
                throw new InvalidDataException($"tensor '{name}' has dtype {t.Dtype}; only F32, BF16 and F16 read as floats");
        }
        return result;
    }

    /// <summary>As <see cref="ReadFloat32(string)"/>, checking the shape first.</summary>
    public float[] ReadFloat32(string name, params long[] expectedShape)
    {
        var t = Info(name);
        if (!t.Shape.SequenceEqual(expectedShape))
            throw new InvalidDataException($"tensor '{name}' has shape {t.ShapeText}, expected [{string.Join(", ", expectedShape)}]");
        return ReadFloat32(name);
    }
}
