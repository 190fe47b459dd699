// Where a grain's state lives: STATE/GRAINTYPE/KEY (one blob per grain state), each segment
// escaped to letters, digits and hyphens (anything else becomes _xx per UTF-8 byte), so that
// the mapping is injective and no name ends in a dot or holds a URL-special character.
using System.Security.Cryptography;
using System.Text;

namespace Rtfm.Persistence.AzureBlob.Storage;

public static class GrainStateBlobNames
{
    // Azure allows 1024 characters; a longer key is named by its hash instead.
    private const int MaxKeySegment = 600;

    public static string Of(string stateName, GrainId grainId)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        string key = Escape(grainId.Key.ToString()!);
        if (key.Length > MaxKeySegment)
            key = "sha256-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(grainId.Key.ToString()!)));
        return $"{Escape(stateName)}/{Escape(grainId.Type.ToString()!)}/{key}";
    }

    public static string Escape(string segment)
    {
        var sb = new StringBuilder(segment.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in segment.EnumerateRunes())
        {
            if (rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || rune.Value == '-'))
            {
                sb.Append((char)rune.Value);
                continue;
            }
            int n = rune.EncodeToUtf8(utf8);
            for (int i = 0; i < n; i++) sb.Append('_').Append(Convert.ToHexStringLower(utf8.Slice(i, 1)));
        }
        if (sb.Length == 0) sb.Append("_"); // an empty segment would collapse the path
        return sb.ToString();
    }
}
