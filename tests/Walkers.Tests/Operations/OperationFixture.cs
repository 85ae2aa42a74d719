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

/// <summary>The layouts the operations tests run on: every one of <see cref="LayoutCases"/>.</summary>
public static class OperationLayouts
{
    public static TheoryData<string> All => LayoutCases.All;

    public static void Run(string layout, IOperationsTest test) => LayoutCases.Handle(layout).Accept(new Adapter(test));

    private sealed class Adapter(IOperationsTest test) : ILayoutAction<bool>
    {
        public bool Run<TLayout, TEntry>()
            where TLayout : struct, IPageTableLayout<TEntry>
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        {
            test.Run<TLayout, TEntry>();
            return true;
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
        Root = Memory.AllocateTable(TLayout.TableBytes(TLayout.Levels));
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

    public List<Mapping> Mappings(ulong from, ulong to, MappingOptions options = default) =>
        PageTables<TLayout, TEntry>.Mappings(View, Root, from, to, options);

    public ulong? Translate(ulong va) => TLayout.TryTranslate(View, Root, va, out ulong pa) ? pa : null;

    public void Dispose() => Memory.Dispose();
}
