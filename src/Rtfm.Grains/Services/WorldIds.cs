// World ids double as folder and blob-prefix names: keep them to a safe alphabet.
namespace Rtfm.Grains.Services;

public static class WorldIds
{
    public const int MaxLength = 64;

    public static string? Problem(string? id)
    {
        if (string.IsNullOrEmpty(id)) return "world id is empty";
        if (id.Length > MaxLength) return $"world id '{id[..16]}...' is longer than {MaxLength} characters";
        foreach (char c in id)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')) return $"world id '{id}' may contain only letters, digits, '-' and '_'";
        return null;
    }

    public static string EnsureValid(string id) => Problem(id) is { } why ? throw new ArgumentException(why, nameof(id)) : id;
}
