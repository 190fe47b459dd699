// Options shared by several commands, with validators that reject bad values at parse time.
using System.CommandLine;
using Rtfm.Compute.Cpu;

namespace Rtfm.Cli.Commands;

internal static class CommonOptions
{
    /// <summary>
    /// Adds a value check; a value that failed to convert is left to the parser's own error
    /// (reading it in a validator would throw).
    /// </summary>
    public static Option<T> Check<T>(this Option<T> option, Func<T, string?> problem)
    {
        option.Validators.Add(r =>
        {
            T value;
            try { value = r.GetValueOrDefault<T>(); }
            catch (InvalidOperationException) { return; }
            if (problem(value) is { } message) r.AddError(message);
        });
        return option;
    }

    public static Option<int> PositiveInt(string name, string description, int defaultValue, int max = int.MaxValue)
    {
        return new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue }
            .Check(v => v <= 0 || v > max ? $"{name} must be between 1 and {max}, got {v}" : null);
    }

    public static Option<int> Threads() =>
        new Option<int>("--threads") { Description = "CPU engine threads (0 = one per core)", DefaultValueFactory = _ => 0 }
            .Check(v => v < 0 || v > 256 ? $"--threads must be between 0 and 256, got {v}" : null);

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
