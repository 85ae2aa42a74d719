using System;
using Walkers.Layouts;

namespace Walkers.Benchmarks;

/// <summary>
/// A synthetic x86-64 address space in simulated memory, shaped like a small machine: a direct map of
/// 2 MiB pages, a few hundred MiB of 4 KiB pages (mostly present, some holes) in the low half and the
/// high half, and a handful of 1 GiB pages.
/// </summary>
public sealed unsafe class AddressSpace : IDisposable
{
    public SimulatedMemory Memory { get; }
    public ulong Root { get; }
    public ulong[] SampleAddresses { get; }

    public AddressSpace(int fourKPages, int seed = 42)
    {
        Memory = new SimulatedMemory((ulong)(fourKPages / 400 + 64) << 12);
        Root = Memory.AllocateTable();
        var random = new Random(seed);
        const ulong flags = 0x63;
        int mapped = 0;
        for (ulong va = 0x0000_0000_0040_0000; mapped < fourKPages / 2; va += 0x1000, mapped++)
            Set(va, 1, (ulong)random.Next(1 << 20) << 12 | flags | (random.Next(16) == 0 ? 0UL : 1UL));
        for (ulong va = 0xFFFF_8880_0000_0000; mapped < fourKPages; va += 0x1000, mapped++)
            Set(va, 1, (ulong)random.Next(1 << 20) << 12 | flags);
        for (ulong va = 0xFFFF_C000_0000_0000, n = 0; n < 512; va += 0x20_0000, n++)
            Set(va, 2, n << 21 | 0x80 | flags);
        for (ulong va = 0xFFFF_D000_0000_0000, n = 0; n < 4; va += 0x4000_0000, n++)
            Set(va, 3, n << 30 | 0x80 | flags);

        SampleAddresses = new ulong[4096];
        for (int i = 0; i < SampleAddresses.Length; i++)
            SampleAddresses[i] = i % 2 == 0
                ? 0x0000_0000_0040_0000 + (ulong)random.Next(fourKPages / 2) * 0x1000 + (ulong)random.Next(4096)
                : 0xFFFF_C000_0000_0000 + (ulong)random.NextInt64(512L << 21);
    }

    private void Set(ulong va, int level, ulong value)
    {
        ulong table = Root;
        for (int l = X86_64.Layout.Levels; ; l--)
        {
            var entry = (ulong*)Memory.Pointer(table, 4096) + ((va >> X86_64.Layout.Shift(l)) & 511);
            if (l == level)
            {
                *entry = value;
                return;
            }
            if (!X86_64.Layout.IsPresent(*entry))
                *entry = X86_64.Layout.MakeEntry(Memory.AllocateTable(), X86_64.Layout.Prot(l));
            table = X86_64.Layout.EntryAddress(*entry);
        }
    }

    public void Dispose() => Memory.Dispose();
}

/// <summary>Counts present leaves: the cheapest useful visitor, so the walk itself is what is measured.</summary>
public unsafe struct PresentLeafCounter : IPageTableVisitor<ulong>
{
    public long Count;

    public int Visit(ulong va, int level, bool isLeaf, ulong* entry)
    {
        if (isLeaf && (*entry & 1) != 0)
            Count++;
        return 0;
    }
}
