// A linear layer's weight packed once for the GEMM: column panels of 32, each (K, 32)
// contiguous (zero-padded at the right edge), so a microkernel streams one panel row per k.
// The same packed form serves the AVX-512, AVX2 and scalar paths.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rtfm.Compute.Cpu.Gemm;

public sealed class PackedWeight
{
    public const int PanelWidth = 32;

    internal PackedWeight(int k, int n, float[] panels, float[] bias, bool hasBias)
    {
        K = k;
        N = n;
        Panels = panels;
        Bias = bias;
        HasBias = hasBias;
    }

    public int K { get; }
    public int N { get; }
    public bool HasBias { get; }
    public int PanelCount => (N + PanelWidth - 1) / PanelWidth;

    /// <summary>(PanelCount, K, 32), pinned.</summary>
    internal float[] Panels { get; }

    /// <summary>(PanelCount · 32) bias, zero where absent or padded, pinned.</summary>
    internal float[] Bias { get; }

    internal unsafe float* PanelPointer(int panel) =>
        (float*)Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Panels), (nint)panel * K * PanelWidth));

    internal unsafe float* BiasPointer(int panel) =>
        (float*)Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Bias), panel * PanelWidth));
}
