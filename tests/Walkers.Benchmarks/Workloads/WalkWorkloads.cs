using System;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using Walkers.Layouts;
using Walkers.Tests.Support;

namespace Walkers.Benchmarks;

/// <summary>
/// W1 (a full walk: count present leaves, sum their addresses) and W2 (the same over the 1 GiB window of 4 KiB
/// pages) for one layout, every walker in the same run: the plain port of the seed's loop (the baseline), the
/// reference walker, the generated walker with a struct and with a delegate visitor, and the floor — reading the
/// level-1 tables' bytes in sequence, scalar and vectorised.
/// </summary>
public abstract unsafe class WalkWorkloads<TLayout>
    where TLayout : struct, IPageTableLayout<ulong>
{
    protected SyntheticSpace<TLayout> Space = null!;

    /// <summary>The lower half, where the space lives: every walker gets the same range.</summary>
    protected static ulong Top => (1UL << (TLayout.VirtualAddressBits - 1)) - 1;
    private PageTableVisit<ulong> _delegate = null!;
    private long _delegateCount;
    private ulong _delegateSum;

    [GlobalSetup]
    public void Setup()
    {
        Space = SyntheticSpace<TLayout>.Shared;
        _delegate = (va, level, isLeaf, entry) =>
        {
            ulong value = *entry;
            if (isLeaf && TLayout.IsPresent(value))
            {
                _delegateCount++;
                _delegateSum += value & TLayout.AddressMask;
            }
            return 0;
        };
        Console.WriteLine($"// {typeof(TLayout).DeclaringType?.Name}: {Space.Entries} entries, {Space.Leaves} present leaves, {Space.PageTables.Count} level-1 tables");
    }


    [Benchmark(Baseline = true, Description = "W1 seed port (walk_pt loop), struct visitor")]
    public ulong SeedPort()
    {
        var visitor = new LeafSum<TLayout>();
        SeedWalker.WalkPt<ulong, LeafSum<TLayout>>(TLayout.LevelTable, Space.View, Space.Root, 0, Top, ref visitor);
        return visitor.Sum + (ulong)visitor.Count;
    }

    [Benchmark(Description = "W1 reference walker, struct visitor")]
    public ulong Reference()
    {
        var visitor = new LeafSum<TLayout>();
        ReferenceWalker.Walk<ulong, FlatMemory, LeafSum<TLayout>>(TLayout.LevelTable, Space.View, Space.Root, 0, Top, ref visitor);
        return visitor.Sum + (ulong)visitor.Count;
    }

    [Benchmark(Description = "W1 generated, struct visitor")]
    public ulong Generated()
    {
        var visitor = new LeafSum<TLayout>();
        TLayout.Walk(Space.View, Space.Root, 0, Top, ref visitor);
        return visitor.Sum + (ulong)visitor.Count;
    }

    [Benchmark(Description = "W1 generated, delegate visitor")]
    public ulong GeneratedDelegate()
    {
        _delegateCount = 0;
        _delegateSum = 0;
        var visitor = new DelegateVisitor<ulong>(_delegate);
        TLayout.Walk(Space.View, Space.Root, 0, Top, ref visitor);
        return _delegateSum + (ulong)_delegateCount;
    }

    [Benchmark(Description = "W1 generated, bulk leaf mode (runs, vectorised)")]
    public ulong GeneratedLeafRuns()
    {
        var visitor = new LeafSumRuns<TLayout>();
        TLayout.WalkLeafRuns(Space.View, Space.Root, 0, Top, ref visitor);
        return visitor.Sum + (ulong)visitor.Count;
    }

    [Benchmark(Description = "W1 floor: level-1 tables read in sequence, scalar")]
    public ulong FloorScalar()
    {
        long count = 0;
        ulong sum = 0;
        int entries = TLayout.Entries(1);
        foreach (nint table in Space.PageTables)
        {
            var entry = (ulong*)table;
            for (int i = 0; i < entries; i++)
            {
                // Branch-free, as a C compiler makes it: holes are random, a branch on them mispredicts.
                ulong value = entry[i];
                ulong present = (value >> System.Numerics.BitOperations.TrailingZeroCount(TLayout.PresentMask)) & 1;
                count += (long)present;
                sum += value & TLayout.AddressMask & (0 - present);
            }
        }
        return sum + (ulong)count;
    }

    [Benchmark(Description = "W1 floor: level-1 tables read in sequence, Vector256")]
    public ulong FloorVector()
    {
        var present = Vector256.Create(TLayout.PresentMask);
        var address = Vector256.Create(TLayout.AddressMask);
        var count = Vector256<ulong>.Zero;
        var sum = Vector256<ulong>.Zero;
        int entries = TLayout.Entries(1);
        foreach (nint table in Space.PageTables)
        {
            var entry = (ulong*)table;
            for (int i = 0; i < entries; i += Vector256<ulong>.Count)
            {
                var value = Vector256.Load(entry + i);
                var isPresent = ~Vector256.Equals(value & present, Vector256<ulong>.Zero);
                count -= isPresent;
                sum += value & address & isPresent;
            }
        }
        return Vector256.Sum(sum) + Vector256.Sum(count);
    }

    [Benchmark(Description = "W2 1 GiB window: seed port")]
    public ulong WindowSeedPort()
    {
        var visitor = new LeafSum<TLayout>();
        SeedWalker.WalkPt<ulong, LeafSum<TLayout>>(TLayout.LevelTable, Space.View, Space.Root, SyntheticSpace<TLayout>.WindowStart,
            SyntheticSpace<TLayout>.WindowStart + SyntheticSpace<TLayout>.WindowSize - 1, ref visitor);
        return visitor.Sum + (ulong)visitor.Count;
    }

    [Benchmark(Description = "W2 1 GiB window: generated, struct visitor")]
    public ulong WindowGenerated()
    {
        var visitor = new LeafSum<TLayout>();
        TLayout.Walk(Space.View, Space.Root, SyntheticSpace<TLayout>.WindowStart,
            SyntheticSpace<TLayout>.WindowStart + SyntheticSpace<TLayout>.WindowSize - 1, ref visitor);
        return visitor.Sum + (ulong)visitor.Count;
    }
}

public class X86_64Walk : WalkWorkloads<X86_64.Layout>
{
    [Benchmark(Description = "W1 hand-written unrolled C#, struct visitor")]
    public ulong HandWritten()
    {
        var visitor = new LeafSum<X86_64.Layout>();
        HandWrittenX86_64.Walk(Space.View, Space.Root, 0, Top, ref visitor);
        return visitor.Sum + (ulong)visitor.Count;
    }

    [Benchmark(Description = "W2 1 GiB window: hand-written")]
    public ulong WindowHandWritten()
    {
        var visitor = new LeafSum<X86_64.Layout>();
        HandWrittenX86_64.Walk(Space.View, Space.Root, SyntheticSpace<X86_64.Layout>.WindowStart,
            SyntheticSpace<X86_64.Layout>.WindowStart + SyntheticSpace<X86_64.Layout>.WindowSize - 1, ref visitor);
        return visitor.Sum + (ulong)visitor.Count;
    }
}

public class Arm64_4K_48Walk : WalkWorkloads<Arm64_4K_48.Layout>;

public class Sv39Walk : WalkWorkloads<Sv39.Layout>;
