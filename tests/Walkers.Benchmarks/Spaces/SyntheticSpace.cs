using System;
using System.Collections.Generic;
using System.Numerics;

namespace Walkers.Benchmarks;

/// <summary>
/// A synthetic address space from a fixed seed, the same shape for every layout, built with the library's Map in the
/// lower half: regions of 4 KiB pages with holes (most of the level-1 tables), a run of 2 MiB pages (a direct map),
/// a few 1 GiB pages, and single pages scattered over the whole half (sparse tables, one entry each). For x86-64:
/// about 2,300 tables (1.2M entries, 9 MiB).
/// </summary>
public sealed unsafe class SyntheticSpace<TLayout> : IDisposable
    where TLayout : struct, IPageTableLayout<ulong>
{
    public const int Seed = 20261201;

    /// <summary>The 1 GiB window of W2/W4: the start of the 4 KiB regions.</summary>
    public const ulong WindowStart = 0x40_0000, WindowSize = 1UL << 30;

    public SimulatedMemory Memory { get; }
    public FlatMemory View => Memory.View;
    public ulong Root { get; }

    /// <summary>Entries a full walk visits (every entry of every table).</summary>
    public long Entries { get; }

    /// <summary>Present leaf entries.</summary>
    public long Leaves { get; }

    /// <summary>The level-1 tables, in walk order: what the sequential-read floor reads.</summary>
    public IReadOnlyList<nint> PageTables { get; }

    /// <summary>1M addresses inside mapped pages, in random order (W3).</summary>
    public ulong[] RandomAddresses { get; }

    /// <summary>The same addresses, sorted (W5).</summary>
    public ulong[] SortedAddresses { get; }

    private static SyntheticSpace<TLayout>? s_shared;

    /// <summary>
    /// One space per layout and process, never disposed (the process ends): an in-process run (--short) builds it once
    /// for all workloads instead of once per benchmark. Workloads that write to it (W4) put back what they changed.
    /// </summary>
    public static SyntheticSpace<TLayout> Shared => s_shared ??= new SyntheticSpace<TLayout>();

    public SyntheticSpace(int translations = 1 << 20)
    {
        var random = new Random(Seed);
        Memory = new SimulatedMemory(64UL << 20);
        Root = Memory.AllocateTable(TLayout.TableBytes(TLayout.Levels));
        ulong half = 1UL << (TLayout.VirtualAddressBits - 1);
        ulong flags = TLayout.Prot(1);
        var mapped = new List<(ulong Va, ulong Size)>();

        void Map(ulong va, ulong size, MapOptions options)
        {
            ulong pa = (ulong)random.NextInt64(1L << 24) << 12 & ~(size >= 1UL << 30 ? (1UL << 30) - 1 : size >= 1UL << 21 ? (1UL << 21) - 1 : 0);
            PageTables<TLayout, ulong>.Map(View, Memory, Root, va, pa, size, flags, options | MapOptions.Overwrite).ThrowIfFailed();
            mapped.Add((va, size));
        }

        // 4 KiB regions with holes, packed from the window start: 1,150 regions of 1-2 level-1 tables' worth.
        ulong at = WindowStart;
        for (int region = 0; region < 1150; region++)
        {
            int pages = random.Next(256, 1024);
            for (int page = 0; page < pages; page++)
            {
                if (random.Next(16) != 0)
                    Map(at + (ulong)page * 4096, 4096, MapOptions.SmallestPages);
            }
            at += (ulong)(pages + random.Next(1, 64)) * 4096;
        }
        // A direct map of 2 MiB pages and four 1 GiB pages, above the regions.
        ulong large = Math.Min(half / 4, 1UL << 38);
        Map(large, 1024UL << 21, MapOptions.None);
        Map(large + (8UL << 30), 4UL << 30, MapOptions.None);
        // Single pages over the whole lower half.
        for (int i = 0; i < 300; i++)
            Map((ulong)random.NextInt64((long)(half >> 12)) << 12, 4096, MapOptions.SmallestPages);

        var census = new Census();
        TLayout.Walk(View, Root, 0, ulong.MaxValue, ref census);
        Entries = census.Entries;
        Leaves = census.Leaves;
        PageTables = census.PageTables;

        RandomAddresses = new ulong[translations];
        for (int i = 0; i < translations; i++)
        {
            var (va, size) = mapped[random.Next(mapped.Count)];
            RandomAddresses[i] = va + (ulong)random.NextInt64((long)size);
        }
        SortedAddresses = (ulong[])RandomAddresses.Clone();
        Array.Sort(SortedAddresses);
    }

    public void Dispose() => Memory.Dispose();

    private struct Census : IPageTableVisitor<ulong>
    {
        public long Entries, Leaves;
        public List<nint> PageTables;

        public int Visit(ulong va, int level, bool isLeaf, ulong* entry)
        {
            Entries++;
            if (isLeaf && TLayout.IsPresent(*entry))
                Leaves++;
            if (level == 1 && (va >> TLayout.PageShift) % (ulong)TLayout.Entries(1) == 0)
                (PageTables ??= new()).Add((nint)entry);
            return 0;
        }
    }
}

/// <summary>The W1 visitor: counts present leaves and sums their addresses, the least a useful visitor does.</summary>
public unsafe struct LeafSum<TLayout> : IPageTableVisitor<ulong>
    where TLayout : struct, IPageTableLayout<ulong>
{
    public long Count;
    public ulong Sum;

    public int Visit(ulong va, int level, bool isLeaf, ulong* entry)
    {
        ulong value = *entry;
        if (isLeaf && TLayout.IsPresent(value))
        {
            Count++;
            Sum += value & TLayout.AddressMask;
        }
        return 0;
    }
}

/// <summary>W1 in the bulk leaf mode: the same sums, a table's level-1 entries at a time, vectorised.</summary>
public unsafe struct LeafSumRuns<TLayout> : IPageTableLeafRunVisitor<ulong>
    where TLayout : struct, IPageTableLayout<ulong>
{
    public long Count;
    public ulong Sum;

    public int Visit(ulong va, int level, bool isLeaf, ulong* entry)
    {
        ulong value = *entry;
        if (isLeaf && TLayout.IsPresent(value))
        {
            Count++;
            Sum += value & TLayout.AddressMask;
        }
        return 0;
    }

    public int Leave(ulong va, int level, ulong* entry) => 0;

    public int VisitLeafRun(ulong va, ulong* entries, int count)
    {
        var present = System.Runtime.Intrinsics.Vector256.Create(TLayout.PresentMask);
        var address = System.Runtime.Intrinsics.Vector256.Create(TLayout.AddressMask);
        var counts = System.Runtime.Intrinsics.Vector256<ulong>.Zero;
        var sums = System.Runtime.Intrinsics.Vector256<ulong>.Zero;
        int i = 0;
        for (; i + 4 <= count; i += 4)
        {
            var value = System.Runtime.Intrinsics.Vector256.Load(entries + i);
            var isPresent = ~System.Runtime.Intrinsics.Vector256.Equals(value & present, System.Runtime.Intrinsics.Vector256<ulong>.Zero);
            counts -= isPresent;
            sums += value & address & isPresent;
        }
        for (; i < count; i++)
        {
            ulong value = entries[i];
            if (TLayout.IsPresent(value))
            {
                Count++;
                Sum += value & TLayout.AddressMask;
            }
        }
        Count += (long)System.Runtime.Intrinsics.Vector256.Sum(counts);
        Sum += System.Runtime.Intrinsics.Vector256.Sum(sums);
        return 0;
    }
}

/// <summary>mini-os set_readonly: clears (or sets) a flag on every present level-1 leaf.</summary>
public unsafe struct FlagToggle<TLayout>(ulong clear, ulong set) : IPageTableVisitor<ulong>
    where TLayout : struct, IPageTableLayout<ulong>
{
    public int Visit(ulong va, int level, bool isLeaf, ulong* entry)
    {
        if (isLeaf && level == 1 && TLayout.IsPresent(*entry))
            *entry = (*entry & ~clear) | set;
        return 0;
    }
}
