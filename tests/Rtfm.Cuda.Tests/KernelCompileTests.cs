// Every kernels/*.cu file compiles for Ampere (sm_80) and Hopper (sm_90) through our NVRTC
// binding, with no register spills; every params struct matches its C# mirror field by field
// (offsetof asserts compiled into the kernel source) and in the compiled kernel's parameter
// size. The ptxas resource report is written to docs/kernels.md.
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Rtfm.Cuda.Kernels;
using Rtfm.Cuda.Nvrtc;

namespace Rtfm.Cuda.Tests;

public sealed partial class KernelCompileTests
{
    private static readonly string[] Architectures = ["sm_80", "sm_90"];

    public KernelCompileTests() => RepositoryPaths.UseNvrtc();

    [GeneratedRegex(@"extern\s+""C""\s+__global__\s+(?:void\s+)?(?:__launch_bounds__\([^)]*\)\s+)?(?:void\s+)?(?<name>\w+)\s*\(")]
    private static partial Regex GlobalEntry();

    [Fact]
    public void Every_kernel_compiles_for_sm80_and_sm90_without_spills_and_matches_its_params_mirror()
    {
        var rows = new List<(string File, KernelEntry Entry, Dictionary<string, KernelResources> ByArch)>();
        var failures = new List<string>();
        foreach (var file in KernelCatalog.Files)
        {
            string source = File.ReadAllText(Path.Combine(RepositoryPaths.Kernels, file.FileName));
            var declared = GlobalEntry().Matches(source).Select(m => m.Groups["name"].Value).Order(StringComparer.Ordinal).ToArray();
            var listed = file.Entries.Select(e => e.Name).Order(StringComparer.Ordinal).ToArray();
            Assert.True(declared.SequenceEqual(listed), $"{file.FileName} declares [{string.Join(", ", declared)}] but the catalog lists [{string.Join(", ", listed)}]");

            string asserts = MirrorAsserts(file.Entries.Select(e => e.Params).Distinct());
            var perEntry = file.Entries.ToDictionary(e => e.Name, _ => new Dictionary<string, KernelResources>());
            foreach (string arch in Architectures)
            {
                var output = KernelCompiler.Compile(RepositoryPaths.Kernels, file.FileName, arch, verbose: true, extraSource: asserts);
                Assert.True(output.Cubin.Length > 0, $"{file.FileName} for {arch}: no CUBIN");
                var resources = PtxasReport.Parse(output.Log);
                foreach (var entry in file.Entries)
                {
                    var r = resources.SingleOrDefault(x => x.Entry == entry.Name && x.Architecture == arch);
                    Assert.True(r is not null, $"{file.FileName} for {arch}: no ptxas report for {entry.Name} in the log:\n{output.Log}");
                    perEntry[entry.Name][arch] = r;
                    if (r.Spills) failures.Add($"{entry.Name} on {arch} spills: {r.SpillStoreBytes} bytes stored, {r.SpillLoadBytes} loaded");
                    int size = Marshal.SizeOf(entry.Params);
                    string param = $".param .align 8 .b8 {entry.Name}_param_0[{size}]";
                    Assert.True(output.Ptx.Contains(param, StringComparison.Ordinal), $"{entry.Name} for {arch}: the PTX lacks `{param}` (one by-value {entry.Params.Name} of {size} bytes)");
                }
            }
            rows.AddRange(file.Entries.Select(e => (file.FileName, e, perEntry[e.Name])));
        }
        WriteReport(rows);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void A_params_struct_that_disagrees_with_its_mirror_fails_the_compile()
    {
        // The mechanism the test above relies on: a wrong offset is a compile error.
        const string wrong = "\nstatic_assert(RTFM_OFFSETOF(GeluParams, n) == 12, \"GeluParams.n offset differs from the C# mirror\");\n";
        var e = Assert.Throws<CudaException>(() => KernelCompiler.Compile(RepositoryPaths.Kernels, "gelu.cu", "sm_80", extraSource: wrong));
        Assert.Contains("GeluParams.n offset differs from the C# mirror", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mirrors_have_their_declared_sizes()
    {
        foreach (var type in KernelCatalog.Files.SelectMany(f => f.Entries).Select(e => e.Params).Distinct())
        {
            int declared = (int)type.GetField("Size")!.GetRawConstantValue()!;
            Assert.True(declared == Marshal.SizeOf(type), $"{type.Name}.Size is {declared} but the struct is {Marshal.SizeOf(type)} bytes");
        }
    }

    [Fact]
    public void The_ptxas_report_parser_reads_every_field()
    {
        const string log = """
            ptxas info    : 0 bytes gmem
            ptxas info    : Compiling entry function 'k1' for 'sm_90'
            ptxas info    : Function properties for k1
            ptxas         .     16 bytes stack frame, 8 bytes spill stores, 4 bytes spill loads
            ptxas info    : Used 255 registers, 49152 bytes smem, 400 bytes cmem[0]
            ptxas info    : Compiling entry function 'k2' for 'sm_90'
            ptxas info    : Function properties for k2
            ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
            ptxas info    : Used 10 registers
            """;
        var r = PtxasReport.Parse(log);
        Assert.Equal([new KernelResources("k1", "sm_90", 255, 49152, 16, 8, 4), new KernelResources("k2", "sm_90", 10, 0, 0, 0, 0)], r);
        Assert.True(r[0].Spills);
        Assert.False(r[1].Spills);
    }

    // static_asserts that pin the C struct to the C# mirror: total size and every field's offset.
    private static string MirrorAsserts(IEnumerable<Type> types)
    {
        var sb = new StringBuilder("\n// Added by the compile test: the C# mirrors' layout.\n");
        foreach (var type in types)
        {
            sb.Append($"static_assert(sizeof({type.Name}) == {Marshal.SizeOf(type)}, \"{type.Name}: C# mirror is {Marshal.SizeOf(type)} bytes\");\n");
            foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
            {
                string c = SnakeCase(field.Name);
                int offset = (int)Marshal.OffsetOf(type, field.Name);
                sb.Append($"static_assert(RTFM_OFFSETOF({type.Name}, {c}) == {offset}, \"{type.Name}.{c}: C# mirror puts it at {offset}\");\n");
            }
        }
        return sb.ToString();
    }

    private static string SnakeCase(string pascal)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < pascal.Length; i++)
        {
            if (i > 0 && char.IsUpper(pascal[i])) sb.Append('_');
            sb.Append(char.ToLowerInvariant(pascal[i]));
        }
        return sb.ToString();
    }

    private static void WriteReport(List<(string File, KernelEntry Entry, Dictionary<string, KernelResources> ByArch)> rows)
    {
        var (major, minor) = NvrtcCompiler.Version();
        var sb = new StringBuilder();
        sb.Append("# Kernel resources\n\n");
        sb.Append("Written by `KernelCompileTests` (tests/Rtfm.Cuda.Tests) on every test run: each kernel of\n");
        sb.Append($"`kernels/*.cu` compiled through our NVRTC binding (NVRTC {major}.{minor}) with `--ptxas-options=-v`.\n");
        sb.Append("Registers per thread, static shared memory per block, stack frame; any spill fails the test.\n\n");
        sb.Append("| file | kernel | params (bytes) | sm_80 regs | sm_80 smem | sm_90 regs | sm_90 smem | stack | spills |\n");
        sb.Append("|---|---|---:|---:|---:|---:|---:|---:|---|\n");
        foreach (var (file, entry, byArch) in rows)
        {
            var a = byArch["sm_80"];
            var h = byArch["sm_90"];
            bool spills = a.Spills || h.Spills;
            sb.Append($"| {file} | `{entry.Name}` | {Marshal.SizeOf(entry.Params)} | {a.Registers} | {a.SharedBytes} | {h.Registers} | {h.SharedBytes} | {Math.Max(a.StackBytes, h.StackBytes)} | {(spills ? "**yes**" : "none")} |\n");
        }
        string path = Path.Combine(RepositoryPaths.Root, "docs", "kernels.md");
        string text = sb.ToString();
        if (!File.Exists(path) || File.ReadAllText(path) != text) File.WriteAllText(path, text);
    }
}
