// Options shared by several commands, with validators that reject bad values at parse time.
using System.CommandLine;
using Rtfm.Compute.Cpu;

namespace Rtfm.Cli.Commands;

internal static class CommonOptions
{
    public static Option<int> PositiveInt(string name, string description, int defaultValue, int max = int.MaxValue)
    {
        var o = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        o.Validators.Add(r =>
        {
            int v = r.GetValueOrDefault<int>();
            if (v <= 0 || v > max) r.AddError($"{name} must be between 1 and {max}, got {v}");
        });
        return o;
    }

    public static Option<int> Threads() 
    {
        var o = new Option<int>("--threads") { Description = "CPU engine threads (0 = one per core)", DefaultValueFactory = _ => 0 };
        o.Validators.Add(r =>
        {
            int v = r.GetValueOrDefault<int>();
            if (v < 0 || v > 256) r.AddError($"--threads must be between 0 and 256, got {v}");
        });
        return o;
    }

    public static Option<CpuIsa> Isa() => new("--isa")
    {
        Description = "CPU SIMD path: auto, avx512, avx2 or scalar (all give identical frames)",
        DefaultValueFactory = _ => CpuIsa.Auto,
    };

    public static Option<string?> Weights() => new("--weights")
    {
        Description = "model weights (.safetensors with its .card.json); default: models/rtfm-tiny-64.safetensors if present, else a seeded random (untrained) init",
    };
}
