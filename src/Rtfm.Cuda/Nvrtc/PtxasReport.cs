// Reads the resource report ptxas writes into the NVRTC log under --ptxas-options=-v:
//   ptxas info    : Compiling entry function 'gemm_f32' for 'sm_80'
//   ptxas info    : Function properties for gemm_f32
//   ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
//   ptxas info    : Used 64 registers, 8192 bytes smem, 400 bytes cmem[0]
using System.Globalization;
using System.Text.RegularExpressions;

namespace Rtfm.Cuda.Nvrtc;

/// <summary>Resources of one compiled kernel.</summary>
public sealed record KernelResources(string Entry, string Architecture, int Registers, int SharedBytes, int StackBytes, int SpillStoreBytes, int SpillLoadBytes)
{
    public bool Spills => SpillStoreBytes > 0 || SpillLoadBytes > 0;
}

public static partial class PtxasReport
{
    [GeneratedRegex(@"Compiling entry function '(?<name>[^']+)' for '(?<arch>[^']+)'")]
    private static partial Regex EntryLine();

    [GeneratedRegex(@"(?<stack>\d+) bytes stack frame, (?<st>\d+) bytes spill stores, (?<ld>\d+) bytes spill loads")]
    private static partial Regex FrameLine();

    [GeneratedRegex(@"Used (?<regs>\d+) registers(?:, (?<smem>\d+) bytes smem)?")]
    private static partial Regex UsedLine();

    /// <summary>One record per entry function in the log, in log order.</summary>
    public static IReadOnlyList<KernelResources> Parse(string log)
    {
        var result = new List<KernelResources>();
        string? name = null, arch = null;
        int stack = 0, stores = 0, loads = 0;
        foreach (string line in log.Split('\n'))
        {
            if (EntryLine().Match(line) is { Success: true } e)
            {
                name = e.Groups["name"].Value;
                arch = e.Groups["arch"].Value;
                stack = stores = loads = 0;
            }
            else if (FrameLine().Match(line) is { Success: true } f && name is not null)
            {
                stack = Int(f, "stack");
                stores = Int(f, "st");
                loads = Int(f, "ld");
            }
            else if (UsedLine().Match(line) is { Success: true } u && name is not null)
            {
                int smem = u.Groups["smem"].Success ? Int(u, "smem") : 0;
                result.Add(new KernelResources(name, arch!, Int(u, "regs"), smem, stack, stores, loads));
                name = null;
            }
        }
        return result;
    }

    private static int Int(Match m, string group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
}
