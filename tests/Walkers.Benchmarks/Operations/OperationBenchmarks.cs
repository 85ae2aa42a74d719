using System;
using BenchmarkDotNet.Attributes;
using Walkers.Layouts;

namespace Walkers.Benchmarks;

/// <summary>
/// Map and protect 1 GiB of x86-64 address space in 4 KiB pages (262,144 entries, 512 level-1 tables):
/// one invocation is one whole operation. Map starts from empty tables every time (they are freed in the
/// iteration setup), so it includes allocating and linking the tables and the plan walk that makes it
/// all-or-nothing.
/// </summary>
// Map runs once per iteration (its tables are freed in the setup): many warm-up iterations, so it is
// measured after tiering, like the others.
[SimpleJob(launchCount: 1, warmupCount: 100, iterationCount: 50)]
public unsafe class OperationBenchmarks
{
    private const ulong Va = 0x40_0000_0000, Pa = 0x1_0000_0000, Size = 1UL << 30;
    private const ulong Present = 0x1, Writable = 0x2;

    private SimulatedMemory _memory = null!;
    private ulong _root;
    private EntryUpdateQueue<ulong> _queue = null!;
    private bool _writable = true;
    private ulong[] _addresses = null!, _translated = null!;

    [GlobalSetup]
    public void Setup()
    {
        _memory = new SimulatedMemory(8 << 20);
        _root = _memory.AllocateTable();
        _queue = new EntryUpdateQueue<ulong>();
        _addresses = new ulong[Size / 4096];
        for (int i = 0; i < _addresses.Length; i++)
            _addresses[i] = Va + (ulong)i * 4096 + 0x123;
        _translated = new ulong[_addresses.Length];
        X86_64.Map(_memory.View, _memory, _root, Va, Pa, Size, Present | Writable, MapOptions.SmallestPages).ThrowIfFailed();
    }

    [GlobalCleanup]
    public void Cleanup() => _memory.Dispose();

    [IterationSetup(Targets = [nameof(Map), nameof(MapQueued)])]
    public void UnmapAll() =>
        X86_64.Unmap(_memory.View, _memory, _root, Va, Size, UnmapOptions.FreeEmptyTables).ThrowIfFailed();

    [Benchmark(Description = "Map 1 GiB in 4 KiB pages, fresh tables, direct stores")]
    public void Map() =>
        X86_64.Map(_memory.View, _memory, _root, Va, Pa, Size, Present | Writable, MapOptions.SmallestPages).ThrowIfFailed();

    [Benchmark(Description = "Map 1 GiB in 4 KiB pages, fresh tables, 512-update queue")]
    public void MapQueued() =>
        X86_64.Map(_memory.View, _memory, _root, Va, Pa, Size, Present | Writable, MapOptions.SmallestPages,
            new QueuedEntryWriter<ulong>(_queue)).ThrowIfFailed();

    [Benchmark(Description = "Protect 1 GiB of 4 KiB pages (toggle RW), direct stores")]
    public void Protect()
    {
        _writable = !_writable;
        X86_64.Protect(_memory.View, _memory, _root, Va, Size, _writable ? 0 : Writable, _writable ? Writable : 0).ThrowIfFailed();
    }

    [Benchmark(Description = "Protect 1 GiB of 4 KiB pages (toggle RW), 512-update queue")]
    public void ProtectQueued()
    {
        _writable = !_writable;
        X86_64.Protect(_memory.View, _memory, _root, Va, Size, _writable ? 0 : Writable, _writable ? Writable : 0,
            new QueuedEntryWriter<ulong>(_queue)).ThrowIfFailed();
    }

    [Benchmark(Description = "TranslateMany: 262,144 ascending addresses, one per page")]
    public int TranslateMany() => X86_64.TranslateMany(_memory.View, _root, _addresses, _translated);

    [Benchmark(Description = "TryTranslate each of the same addresses")]
    public int TryTranslateEach()
    {
        int mapped = 0;
        for (int i = 0; i < _addresses.Length; i++)
            mapped += X86_64.TryTranslate(_memory.View, _root, _addresses[i], out _translated[i]) ? 1 : 0;
        return mapped;
    }

    [Benchmark(Description = "Mappings of 1 GiB of 4 KiB pages (one merged run)")]
    public int Mappings() => X86_64.Mappings(_memory.View, _root, Va, Va + Size - 1).Count;
}
