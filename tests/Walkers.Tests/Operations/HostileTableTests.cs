using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Walkers.Layouts;

namespace Walkers.Tests.Operations;

/// <summary>
/// Tables an attacker (or a buggy kernel) wrote: a table that links back to itself, two tables that link each other,
/// tables the allocator never handed out. Every operation finishes in bounded time under the one rule for tables that
/// repeat (<see cref="WalkLimit"/>), reports why, and changes nothing when it fails.
/// </summary>
public sealed unsafe class HostileTableTests
{
    private const ulong P = 0x1, RW = 0x2, US = 0x4, A = 0x20, D = 0x40;

    /// <summary>8 KiB of memory whose root (page 0) has every entry pointing to page 0: 512^4 entries to a plain walk.</summary>
    private static SimulatedMemory SelfLoop(out ulong root)
    {
        var memory = new SimulatedMemory(8192);
        root = memory.AllocateTable();
        ulong* table = (ulong*)memory.Pointer(root, 4096);
        for (int i = 0; i < 512; i++)
            table[i] = root | P | RW | US | A | D;
        return memory;
    }

    private static byte[] Bytes(SimulatedMemory memory) => new ReadOnlySpan<byte>(memory.Pointer(0, (uint)memory.Size), (int)memory.Size).ToArray();

    [Fact]
    public void Mappings_over_a_self_loop_stops_at_once_and_says_which_table_repeats()
    {
        using var memory = SelfLoop(out ulong root);
        var output = new List<Mapping>();
        var watch = Stopwatch.StartNew();
        var result = PageTables<X86_64.Layout, ulong>.Mappings(memory.View, root, 0, ulong.MaxValue, output, default);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), watch.Elapsed.ToString());
        Assert.Equal(PageTableStatus.TablesRepeat, result.Status);
        Assert.Contains("table 0x0 was entered again", result.Message);
        Assert.Contains("tables repeat", result.Message);
        var thrown = Assert.Throws<PageTableException>(() => X86_64.Mappings(memory.View, root, 0, ulong.MaxValue));
        Assert.Equal(PageTableStatus.TablesRepeat, thrown.Result.Status);
        // By protection too (it used to run for hours).
        Assert.Equal(PageTableStatus.TablesRepeat, PageTables<X86_64.Layout, ulong>.Mappings(memory.View, root, 0, ulong.MaxValue, output,
            new MappingOptions { ProtectionMask = P | RW | US }).Status);
    }

    [Theory]
    [InlineData("protect")]
    [InlineData("unmap")]
    [InlineData("unmap-free")]
    [InlineData("map-overwrite")]
    public void Modifying_operations_over_a_self_loop_fail_fast_and_change_nothing(string operation)
    {
        using var memory = SelfLoop(out ulong root);
        var before = Bytes(memory);
        ulong half = 1UL << 47;
        var result = operation switch
        {
            "protect" => X86_64.Protect(memory.View, memory, root, 0, half, clear: RW, set: 0),
            "unmap" => X86_64.Unmap(memory.View, memory, root, 0, half),
            "unmap-free" => X86_64.Unmap(memory.View, memory, root, 0, half, UnmapOptions.FreeEmptyTables),
            _ => X86_64.Map(memory.View, memory, root, 0, 0, half, P | RW, MapOptions.Overwrite | MapOptions.SmallestPages),
        };
        Assert.Equal(PageTableStatus.TablesRepeat, result.Status);
        Assert.Equal(before, Bytes(memory));
    }

    [Fact]
    public void A_plain_walk_is_bounded_by_the_same_rule_when_given_a_limit_and_can_lift_it()
    {
        using var memory = SelfLoop(out ulong root);
        var counter = new Counter();
        var limit = new WalkLimit();
        Assert.Equal(WalkControl.Limited, X86_64La57.Walk(memory.View, root, 0, ulong.MaxValue, ref counter, limit));
        Assert.Equal(WalkStop.Repeats, limit.Stop);
        Assert.Equal(1, limit.DistinctTables);
        Assert.Equal(5 * 512, counter.Visits); // levels x entries of the one distinct table
        Assert.Equal(0x0UL, limit.RepeatedTable);

        // Lifted, the walk goes on until the visitor stops it.
        counter = new Counter { StopAfter = 1_000_000 };
        Assert.Equal(1, X86_64La57.Walk(memory.View, root, 0, ulong.MaxValue, ref counter, WalkLimit.Unbounded()));
    }

    [Fact]
    public void A_walk_can_be_cancelled()
    {
        using var memory = SelfLoop(out ulong root);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var counter = new Counter();
        var limit = WalkLimit.Unbounded(cancellation.Token);
        Assert.Equal(WalkControl.Limited, X86_64La57.Walk(memory.View, root, 0, ulong.MaxValue, ref counter, limit));
        Assert.Equal(WalkStop.Cancelled, limit.Stop);
        Assert.True(counter.Visits <= 4096);
        var result = X86_64.Protect(memory.View, memory, root, 0, 1UL << 47, RW, 0, WalkLimit.Unbounded(cancellation.Token));
        Assert.Equal(PageTableStatus.Cancelled, result.Status);
    }

    [Fact]
    public void A_recursive_self_map_is_walked_in_full()
    {
        // Windows-style: PML4[0x1ED] points to the PML4 itself, beside one ordinary 4 KiB page: every table is
        // entered once per level it is reached at, which the rule allows.
        using var memory = new SimulatedMemory(64 * 4096);
        ulong root = memory.AllocateTable();
        X86_64.Map(memory.View, memory, root, 0x40_0000, 0x8000, 0x1000, P | RW).ThrowIfFailed();
        ((ulong*)memory.Pointer(root, 4096))[0x1ED] = root | P | RW;
        var runs = new List<Mapping>();
        var result = PageTables<X86_64.Layout, ulong>.Mappings(memory.View, root, 0, ulong.MaxValue, runs, default);
        Assert.True(result.Succeeded, result.Message);
        Assert.Contains(runs, m => m.VirtualAddress == 0x40_0000);
        Assert.True(runs.Count > 1); // the tables themselves, seen through the self-map
    }

    [Fact]
    public void Unmap_frees_only_tables_the_allocator_handed_out_and_finishes()
    {
        // The tables were in the image before: the allocator never handed them out, and refuses to take them back.
        using var memory = new SimulatedMemory(16 * 4096);
        ulong root = memory.AllocateTable();
        ulong pdpt = 0x3000, pd = 0x4000, pt = 0x5000; // not allocated
        ((ulong*)memory.Pointer(root, 8))[0] = pdpt | P | RW;
        ((ulong*)memory.Pointer(pdpt, 8))[0] = pd | P | RW;
        ((ulong*)memory.Pointer(pd, 8))[0] = pt | P | RW;
        ((ulong*)memory.Pointer(pt, 8))[0] = 0x9000 | P | RW;
        ulong owned = memory.AllocateTable();
        ((ulong*)memory.Pointer(pd, 16))[1] = owned | P | RW;
        ((ulong*)memory.Pointer(owned, 8))[0] = 0xA000 | P | RW;

        var result = X86_64.Unmap(memory.View, memory, root, 0, 1UL << 30, UnmapOptions.FreeEmptyTables);

        Assert.True(result.Succeeded, result.Message);
        Assert.False(X86_64.TryTranslate(memory.View, root, 0, out _));
        Assert.Equal(1, memory.TablesInUse); // the owned level-1 table was freed; the image's own stay linked, empty
        Assert.Equal(pd | P | RW, ((ulong*)memory.Pointer(pdpt, 8))[0]);
    }

    [Fact]
    public void Unmap_meeting_a_table_outside_memory_changes_nothing()
    {
        using var memory = new SimulatedMemory(16 * 4096);
        ulong root = memory.AllocateTable();
        X86_64.Map(memory.View, memory, root, 0, 0x8000, 0x2000, P | RW).ThrowIfFailed();
        ((ulong*)memory.Pointer(root, 16))[1] = 0x7000_0000 | P | RW; // the second 512 GiB: a table far outside memory
        var before = Bytes(memory);

        var result = X86_64.Unmap(memory.View, memory, root, 0, 1UL << 40);

        Assert.Equal(PageTableStatus.TableOutsideMemory, result.Status);
        Assert.Equal(before, Bytes(memory)); // the pages before it are still mapped
        Assert.Equal(PageTableStatus.TableOutsideMemory, X86_64.Protect(memory.View, memory, root, 0, 1UL << 40, RW, 0).Status);
        Assert.Equal(before, Bytes(memory));
    }

    private struct Counter : IPageTableVisitor<ulong>
    {
        public long Visits;
        public long StopAfter;

        public int Visit(ulong va, int level, bool isLeaf, ulong* entry) => ++Visits == StopAfter ? 1 : 0;
    }
}
