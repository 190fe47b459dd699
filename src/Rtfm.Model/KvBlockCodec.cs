// The stored form of a KV block, so blocks can live in a content store and move between nodes:
//   "RTFMKV01" | u32 header length | UTF-8 JSON header {modelVersion, layers, tokens, width}
//   | f32 little-endian payload, per layer keys (T, D) then values (T, D) | SHA-256 of all before.
// Decoding verifies the checksum every time: a corrupt block is never used silently.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;

namespace Rtfm.Model;

/// <summary>The header of a stored KV block.</summary>
public sealed record KvBlockHeader(string ModelVersion, int Layers, int Tokens, int Width)
{
    public long PayloadFloats => 2L * Layers * Tokens * Width;
}

/// <summary>A stored block that is intact but was made by another model (or another shape): re-encode its frame.</summary>
public sealed class KvBlockMismatchException(string message) : Exception(message);

public static class KvBlockCodec
{
    private static ReadOnlySpan<byte> Magic => "RTFMKV01"u8;
    private const int HashBytes = 32;
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Serialises a header and its payload (layers × [keys, values], each (T, D)).</summary>
    public static byte[] Encode(KvBlockHeader header, ReadOnlySpan<float> payload)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (payload.Length != header.PayloadFloats)
            throw new ArgumentException($"payload has {payload.Length} floats, the header says {header.PayloadFloats}", nameof(payload));
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header, Json);
        var bytes = new byte[Magic.Length + 4 + json.Length + payload.Length * 4 + HashBytes];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(Magic.Length), json.Length);
        json.CopyTo(bytes, Magic.Length + 4);
        int at = Magic.Length + 4 + json.Length;
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(payload).CopyTo(bytes.AsSpan(at));
        else for (int i = 0; i < payload.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(at + i * 4), payload[i]);
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - HashBytes), bytes.AsSpan(bytes.Length - HashBytes));
        return bytes;
    }

    /// <summary>Verifies and parses a stored block. Throws <see cref="InvalidDataException"/> on any corruption.</summary>
    public static (KvBlockHeader Header, float[] Payload) Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Magic.Length + 4 + HashBytes || !bytes[..Magic.Length].SequenceEqual(Magic))
            throw new InvalidDataException("not a stored KV block (bad magic or too short)");
        Span<byte> hash = stackalloc byte[HashBytes];
        SHA256.HashData(bytes[..^HashBytes], hash);
        if (!hash.SequenceEqual(bytes[^HashBytes..]))
            throw new InvalidDataException("KV block is corrupt: its checksum does not match its contents");
        int jsonLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[Magic.Length..]);
        if (jsonLength <= 0 || Magic.Length + 4L + jsonLength > bytes.Length - HashBytes)
            throw new InvalidDataException($"KV block header length {jsonLength} is out of range");
        KvBlockHeader? header;
        try { header = JsonSerializer.Deserialize<KvBlockHeader>(bytes.Slice(Magic.Length + 4, jsonLength), Json); }
        catch (JsonException ex) { throw new InvalidDataException($"KV block header is not valid JSON: {ex.Message}", ex); }
        if (header is null || header.Layers <= 0 || header.Tokens <= 0 || header.Width <= 0 || string.IsNullOrEmpty(header.ModelVersion))
            throw new InvalidDataException("KV block header is incomplete");
        int at = Magic.Length + 4 + jsonLength;
        long payloadBytes = bytes.Length - HashBytes - at;
        if (payloadBytes != header.PayloadFloats * 4)
            throw new InvalidDataException($"KV block payload is {payloadBytes} bytes, the header ({header.Layers} layers x {header.Tokens} tokens x {header.Width}) needs {header.PayloadFloats * 4}");
        var payload = new float[header.PayloadFloats];
        if (BitConverter.IsLittleEndian) bytes.Slice(at, (int)payloadBytes).CopyTo(MemoryMarshal.AsBytes(payload.AsSpan()));
        else for (int i = 0; i < payload.Length; i++) payload[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(at + i * 4)..]);
        return (header, payload);
    }
}
