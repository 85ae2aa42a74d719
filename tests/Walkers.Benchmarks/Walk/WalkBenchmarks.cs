using BenchmarkDotNet.Attributes;
using Walkers.Layouts;

namespace Walkers.Benchmarks;

/// <summary>
/// A full walk of a ~1.2M-entry x86-64 address space: the generated, unrolled walker against the seed's
/// table-driven algorithm (the baseline) and against the same walker driven through a delegate.
/// </summary>
[MemoryDiagnoser]
public unsafe class WalkBenchmarks
{
    private AddressSpace _space = null!;
    private PageTableVisit<ulong> _delegate = null!;
    private long _delegateCount;

    [GlobalSetup]
    public void Setup()
    {
        _space = new AddressSpace(1_000_000);
        _delegate = (va, level, isLeaf, entry) =>
        {
            if (isLeaf && (*entry & 1) != 0)
                _delegateCount++;
            return 0;
        };
    }

    [GlobalCleanup]
    public void Cleanup() => _space.Dispose();

    [Benchmark(Baseline = true, Description = "reference walker (table-driven seed), struct visitor")]
    public long Reference()
    {
        var counter = new PresentLeafCounter();
        ReferenceWalker.Walk<ulong, FlatMemory, PresentLeafCounter>(X86_64.LevelTable, _space.Memory.View, _space.Root, 0, ulong.MaxValue, ref counter);
        return counter.Count;
    }

    [Benchmark(Description = "generated walker, struct visitor")]
    public long Generated()
    {
        var counter = new PresentLeafCounter();
        X86_64.Walk(_space.Memory.View, _space.Root, 0, ulong.MaxValue, ref counter);
        return counter.Count;
    }

    [Benchmark(Description = "generated walker, delegate visitor")]
    public long GeneratedDelegate()
    {
        _delegateCount = 0;
        var visitor = new DelegateVisitor<ulong>(_delegate);
        X86_64.Walk(_space.Memory.View, _space.Root, 0, ulong.MaxValue, ref visitor);
        return _delegateCount;
    }
}

/// <summary>4096 translations of mapped addresses (4 KiB and 2 MiB pages): direct descent against a walk per address.</summary>
[MemoryDiagnoser]
public unsafe class TranslateBenchmarks
{
    private AddressSpace _space = null!;

    [GlobalSetup]
    public void Setup() => _space = new AddressSpace(1_000_000);

    [GlobalCleanup]
    public void Cleanup() => _space.Dispose();

    [Benchmark(Baseline = true, Description = "reference walker over [va, va]")]
    public ulong ReferenceWalk()
    {
        ulong sum = 0;
        foreach (ulong va in _space.SampleAddresses)
        {
            var finder = new LeafFinder();
            ReferenceWalker.Walk<ulong, FlatMemory, LeafFinder>(X86_64.LevelTable, _space.Memory.View, _space.Root, va, va, ref finder);
            sum += finder.Entry;
        }
        return sum;
    }

    [Benchmark(Description = "generated walker over [va, va]")]
    public ulong GeneratedWalk()
    {
        ulong sum = 0;
        foreach (ulong va in _space.SampleAddresses)
        {
            var finder = new LeafFinder();
            X86_64.Walk(_space.Memory.View, _space.Root, va, va, ref finder);
            sum += finder.Entry;
        }
        return sum;
    }

    [Benchmark(Description = "generated TryTranslate")]
    public ulong GeneratedTranslate()
    {
        ulong sum = 0;
        var memory = _space.Memory.View;
        foreach (ulong va in _space.SampleAddresses)
        {
            X86_64.TryTranslate(memory, _space.Root, va, out ulong pa);
            sum += pa;
        }
        return sum;
    }

    private struct LeafFinder : IPageTableVisitor<ulong>
    {
        public ulong Entry;

        public int Visit(ulong va, int level, bool isLeaf, ulong* entry)
        {
            if (isLeaf)
                Entry = *entry;
            return 0;
        }
    }
}
