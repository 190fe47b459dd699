// The name of a stored object: "sha256-" + 64 lowercase hex digits of its bytes.
using System.Security.Cryptography;

namespace Rtfm.Storage;

public readonly record struct ContentName
{
    public const string Prefix = "sha256-";

    private ContentName(string value) => Value = value;

    public string Value { get; }

    /// <summary>The 64 hex digits.</summary>
    public string Hex => Value[Prefix.Length..];

    public static ContentName Of(ReadOnlySpan<byte> content) => new(Prefix + Convert.ToHexStringLower(SHA256.HashData(content)));

    public static ContentName Parse(string text)
    {
        if (!TryParse(text, out var name)) throw new FormatException($"'{text}' is not a content name (expected {Prefix} followed by 64 lowercase hex digits)");
        return name;
    }

    public static bool TryParse(string? text, out ContentName name)
    {
        name = default;
        if (text is null || text.Length != Prefix.Length + 64 || !text.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        foreach (char ch in text.AsSpan(Prefix.Length))
            if (!char.IsAsciiHexDigitLower(ch) && !char.IsAsciiDigit(ch)) return false;
        name = new ContentName(text);
        return true;
    }

    public bool Matches(ReadOnlySpan<byte> content) => Of(content).Value == Value;

    public override string ToString() => Value ?? "(none)";
}
