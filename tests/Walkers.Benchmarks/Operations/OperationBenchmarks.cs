using BenchmarkDotNet.Attributes;
using Walkers.Layouts;

namespace Walkers.Benchmarks;

/// <summary>1 GiB of x86-64 address space mapped in 4 KiB pages (262,144 entries, 512 level-1 tables).</summary>
public abstract unsafe class GibibyteOf4KPages
{
    protected const ulong Va = 0x40_0000_0000, Pa = 0x1_0000_0000, Size = 1UL << 30;
    protected const ulong Present = 0x1, Writable = 0x2;

    protected SimulatedMemory Memory = null!;
    protected ulong Root;
    protected EntryUpdateQueue<ulong> Queue = null!;

    [GlobalSetup]
    public void Setup()
    {
        Memory = new SimulatedMemory(8 << 20);
        Root = Memory.AllocateTable();
        Queue = new EntryUpdateQueue<ulong>();
        X86_64.Map(Memory.View, Memory, Root, Va, Pa, Size, Present | Writable, MapOptions.SmallestPages).ThrowIfFailed();
        SetupMore();
    }

    protected virtual void SetupMore() { }

    [GlobalCleanup]
    public void Cleanup() => Memory.Dispose();
}

/// <summary>
/// Map of 1 GiB in 4 KiB pages from empty tables (freed in the iteration setup), so it includes allocating
/// and linking 513 tables and the plan walk that makes Map all-or-nothing. One invocation per iteration:
/// many warm-up iterations, so it is measured after tiering.
/// </summary>
public class MapOperationBenchmarks : GibibyteOf4KPages
{
    [IterationSetup]
    public void UnmapAll() =>
        X86_64.Unmap(Memory.View, Memory, Root, Va, Size, UnmapOptions.FreeEmptyTables).ThrowIfFailed();

    [Benchmark(Description = "Map 1 GiB in 4 KiB pages, fresh tables, direct stores")]
    public void Map() =>
        X86_64.Map(Memory.View, Memory, Root, Va, Pa, Size, Present | Writable, MapOptions.SmallestPages).ThrowIfFailed();

    [Benchmark(Description = "Map 1 GiB in 4 KiB pages, fresh tables, 512-update queue")]
    public void MapQueued() =>
        X86_64.Map(Memory.View, Memory, Root, Va, Pa, Size, Present | Writable, MapOptions.SmallestPages,
            new QueuedEntryWriter<ulong>(Queue)).ThrowIfFailed();
}

/// <summary>Protect, list and translate over the mapped 1 GiB.</summary>
public class QueryOperationBenchmarks : GibibyteOf4KPages
{
    private bool _writable = true;
    private ulong[] _addresses = null!, _translated = null!;

    protected override void SetupMore()
    {
        _addresses = new ulong[Size / 4096];
        for (int i = 0; i < _addresses.Length; i++)
            _addresses[i] = Va + (ulong)i * 4096 + 0x123;
        _translated = new ulong[_addresses.Length];
    }

    [Benchmark(Description = "Protect 1 GiB of 4 KiB pages (toggle RW), direct stores")]
    public void Protect()
    {
        _writable = !_writable;
        X86_64.Protect(Memory.View, Memory, Root, Va, Size, _writable ? 0 : Writable, _writable ? Writable : 0).ThrowIfFailed();
    }

    [Benchmark(Description = "Protect 1 GiB of 4 KiB pages (toggle RW), 512-update queue")]
    public void ProtectQueued()
    {
        _writable = !_writable;
        X86_64.Protect(Memory.View, Memory, Root, Va, Size, _writable ? 0 : Writable, _writable ? Writable : 0,
            new QueuedEntryWriter<ulong>(Queue)).ThrowIfFailed();
    }

    [Benchmark(Description = "Mappings of 1 GiB of 4 KiB pages (one merged run)")]
    public int Mappings() => X86_64.Mappings(Memory.View, Root, Va, Va + Size - 1).Count;

    [Benchmark(Description = "TranslateMany: 262,144 ascending addresses, one per page")]
    public int TranslateMany() => X86_64.TranslateMany(Memory.View, Root, _addresses, _translated);

    [Benchmark(Description = "TryTranslate each of the same addresses")]
    public int TryTranslateEach()
    {
        int mapped = 0;
        for (int i = 0; i < _addresses.Length; i++)
            mapped += X86_64.TryTranslate(Memory.View, Root, _addresses[i], out _translated[i]) ? 1 : 0;
        return mapped;
    }
}
