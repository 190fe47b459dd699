// Where the shipped weights are looked for when no path is given: models/rtfm-tiny-64.safetensors
// in the working directory or any parent of it, else beside the executable or any parent of
// that (a built tool inside the repository finds the repository's models/ folder).
namespace Rtfm.Model.Weights;

public static class DefaultWeights
{
    public const string Folder = "models";
    public const string FileName = "rtfm-tiny-64.safetensors";

    /// <summary>The full path of the shipped weights, or null when none is found.</summary>
    public static string? Find()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, Folder, FileName);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }
}
