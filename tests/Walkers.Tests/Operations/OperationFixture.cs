using System;
using System.Collections.Generic;
using System.Numerics;
using Walkers.Layouts;
using Walkers.Tests.Support;

namespace Walkers.Tests.Operations;

/// <summary>A test body generic over one generated layout struct (the operations need it as a struct).</summary>
public interface IOperationsTest
{
    void Run<TLayout, TEntry>()
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>;
}

public static class OperationLayouts
{
    public static TheoryData<string> All => new()
    {
        "X86_64", "X86_64La57", "X86Pae", "X86Legacy", "X86LegacyNoPse", "RiscVSv39", "RiscVSv32", "AArch64Granule4K",
    };

    public static void Run(string layout, IOperationsTest test)
    {
        switch (layout)
        {
            case "X86_64": test.Run<X86_64.Layout, ulong>(); break;
            case "X86_64La57": test.Run<X86_64La57.Layout, ulong>(); break;
            case "X86Pae": test.Run<X86Pae.Layout, ulong>(); break;
            case "X86Legacy": test.Run<X86Legacy.Layout, uint>(); break;
            case "X86LegacyNoPse": test.Run<X86LegacyNoPse.Layout, uint>(); break;
            // Test-only layouts (tests/Walkers.Tests/Support/TestLayouts.cs): other leaf and table encodings.
            case "RiscVSv39": test.Run<RiscVSv39.Layout, ulong>(); break;
            case "RiscVSv32": test.Run<RiscVSv32.Layout, uint>(); break;
            case "AArch64Granule4K": test.Run<AArch64Granule4K.Layout, ulong>(); break;
            default: throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown layout.");
        }
    }
}

/// <summary>Simulated memory with a root table, and helpers to look at it whole.</summary>
public sealed unsafe class Space<TLayout, TEntry> : IDisposable
    where TLayout : struct, IPageTableLayout<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    public Space(int frames = 1024)
    {
        Memory = new SimulatedMemory((ulong)frames * SimulatedMemory.FrameSize, 0x10_0000);
        Root = Memory.AllocateTable();
        Baseline = Memory.TablesInUse;
    }

    public SimulatedMemory Memory { get; }
    public ulong Root { get; }
    public int Baseline { get; }
    public FlatMemory View => Memory.View;

    /// <summary>Every byte of physical memory, to prove an operation changed nothing.</summary>
    public byte[] Snapshot() => new ReadOnlySpan<byte>(Memory.Pointer(Memory.Start, (uint)Memory.Size), (int)Memory.Size).ToArray();

    public PageTableResult Map(ulong va, ulong pa, ulong size, ulong flags, MapOptions options = MapOptions.None) =>
        PageTables<TLayout, TEntry>.Map(View, Memory, Root, va, pa, size, flags, options);

    public PageTableResult Unmap(ulong va, ulong size, UnmapOptions options = UnmapOptions.None) =>
        PageTables<TLayout, TEntry>.Unmap(View, Memory, Root, va, size, options);

    public PageTableResult Protect(ulong va, ulong size, ulong clear, ulong set) =>
        PageTables<TLayout, TEntry>.Protect(View, Memory, Root, va, size, clear, set);

    public List<Mapping> Mappings(ulong from, ulong to, ProtectionRule? rule = null) =>
        PageTables<TLayout, TEntry>.Mappings(View, Root, from, to, rule);

    public ulong? Translate(ulong va) => TLayout.TryTranslate(View, Root, va, out ulong pa) ? pa : null;

    public void Dispose() => Memory.Dispose();
}
