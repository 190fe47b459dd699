// One emulator library per test run, built from kernels/ into the repository's .cache/emu.
using System.Runtime.CompilerServices;
using Rtfm.Cuda.Emulation;

namespace Rtfm.Cuda.Tests;

internal static class EmulatorFixture
{
    private static readonly Lazy<KernelEmulator> Shared = new(
        () => KernelEmulator.Load(RepositoryPaths.Kernels, Path.Combine(RepositoryPaths.Root, ".cache", "emu")),
        LazyThreadSafetyMode.ExecutionAndPublication);

    public static KernelEmulator Emulator => Shared.Value;
}

/// <summary>Pinned host memory standing in for a device buffer under the emulator.</summary>
internal sealed unsafe class EmuBuffer<T> where T : unmanaged
{
    public EmuBuffer(int length) => Data = GC.AllocateArray<T>(Math.Max(length, 1), pinned: true);

    public EmuBuffer(ReadOnlySpan<T> values) : this(values.Length) => values.CopyTo(Data);

    public T[] Data { get; }

    public CuDevicePtr Ptr => new((ulong)Unsafe.AsPointer(ref Data[0]));
}
