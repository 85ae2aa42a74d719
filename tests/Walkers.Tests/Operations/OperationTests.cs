using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using Walkers.Layouts;

namespace Walkers.Tests.Operations;

public sealed unsafe class OperationTests
{
    private const ulong K4 = 0x1000, M2 = 0x20_0000, G1 = 0x4000_0000;
    private const ulong P = 0x1, RW = 0x2, US = 0x4, PS = 0x80, NX = 0x8000_0000_0000_0000;

    public static TheoryData<string> HugeLayouts => new() { "4level", "5level", "pae", "legacy" };

    private static EntryUpdateQueue<TEntry> Queue<TEntry>()
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry> => new();

    // ----- All or nothing -----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Map_refused_for_a_conflict_leaves_memory_byte_identical(bool queued)
    {
        using var space = new Space<X86_64.Layout, ulong>();
        const ulong Mapped = 0x80_0000_0000; // first page of the second 512 GiB entry
        space.Map(Mapped, 0x5000, K4, P | RW).ThrowIfFailed();
        var before = space.Snapshot();
        int tables = space.Memory.TablesInUse;

        // Starts in the first 512 GiB entry (needs three new tables) and runs into the mapped page.
        ulong va = Mapped - 4 * K4;
        var queue = new EntryUpdateQueue<ulong>();
        var result = queued
            ? X86_64.Map(space.View, space.Memory, space.Root, va, 0x10_0000, 8 * K4, P | RW, MapOptions.None, new QueuedEntryWriter<ulong>(queue))
            : X86_64.Map(space.View, space.Memory, space.Root, va, 0x10_0000, 8 * K4, P | RW);

        Assert.Equal(PageTableStatus.AlreadyMapped, result.Status);
        Assert.Equal(Mapped, result.Address);
        Assert.Equal(1, result.Level);
        Assert.Contains("already mapped", result.Message);
        Assert.Equal(before, space.Snapshot());
        Assert.Equal(tables, space.Memory.TablesInUse);
        Assert.Equal(0, queue.Pending);
        Assert.Throws<PageTableException>(() => result.ThrowIfFailed());
    }

    [Fact]
    public void Map_refused_for_allocator_exhaustion_leaves_memory_byte_identical()
    {
        using var space = new Space<X86_64.Layout, ulong>(frames: 5); // the root and 4 more
        space.Map(0x1000, 0x1000, K4, P).ThrowIfFailed(); // uses 3 of them
        var before = space.Snapshot();

        // Across the 512 GiB boundary: 3 new tables on the far side, only 1 left.
        var result = space.Map(0x80_0000_0000 - K4, 0x2000, 2 * K4, P | RW);

        Assert.Equal(PageTableStatus.OutOfTables, result.Status);
        Assert.Contains("exhausted", result.Message);
        Assert.Equal(before, space.Snapshot());
        Assert.Equal(4, space.Memory.TablesInUse);
    }

    [Fact]
    public void Map_over_a_present_mapping_with_overwrite_replaces_it()
    {
        using var space = new Space<X86_64.Layout, ulong>();
        space.Map(0x40_0000, 0x80_0000, M2, P).ThrowIfFailed(); // one 2 MiB page
        space.Map(0x40_0000 + K4, 0x9000, K4, P | RW, MapOptions.Overwrite).ThrowIfFailed();
        Assert.Equal(0x9000UL, space.Translate(0x40_0000 + K4));
        Assert.Equal(0x80_0000UL + 2 * K4, space.Translate(0x40_0000 + 2 * K4)); // the rest of the split page
    }

    // ----- Page sizes -----

    private sealed class LargestPages : IOperationsTest
    {
        public void Run<TLayout, TEntry>()
            where TLayout : struct, IPageTableLayout<TEntry>
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        {
            int big = Enumerable.Range(2, TLayout.Levels - 1).Last(l => TLayout.LeafAllowed(l));
            ulong bigSize = TLayout.PageSize(big);
            bool middle = big - 1 > 1; // x86-64: a 2 MiB page between the 1 GiB page and the 4 KiB ones
            ulong middleSize = middle ? TLayout.PageSize(big - 1) : 0;
            ulong va = bigSize - 2 * K4, size = 2 * K4 + bigSize + middleSize + 2 * K4;
            ulong pa = va + (TLayout.VirtualAddressBits > 32 ? 4 * G1 : bigSize * 4);
            const ulong Flags = P | RW;

            using (var space = new Space<TLayout, TEntry>())
            {
                space.Map(va, pa, size, Flags).ThrowIfFailed();
                var expected = new List<Mapping> { new(va, pa, 2 * K4, Flags, 1), new(bigSize, pa + 2 * K4, bigSize, Flags | PS, big) };
                if (middle)
                    expected.Add(new(2 * bigSize, pa + 2 * K4 + bigSize, middleSize, Flags | PS, big - 1));
                expected.Add(new(2 * bigSize + middleSize, pa + 2 * K4 + bigSize + middleSize, 2 * K4, Flags, 1));
                Assert.Equal(expected, space.Mappings(0, ulong.MaxValue));
            }
            using (var space = new Space<TLayout, TEntry>())
            {
                space.Map(va, pa, size, Flags, MapOptions.SmallestPages).ThrowIfFailed();
                Assert.Equal([new Mapping(va, pa, size, Flags, 1)], space.Mappings(0, ulong.MaxValue));
            }
            using (var space = new Space<TLayout, TEntry>())
            {
                // A frame out of line with the address: no huge page fits anywhere.
                space.Map(va, pa + K4, size, Flags).ThrowIfFailed();
                Assert.Equal([new Mapping(va, pa + K4, size, Flags, 1)], space.Mappings(0, ulong.MaxValue));
            }
        }
    }

    [Theory]
    [MemberData(nameof(HugeLayouts))]
    public void Map_uses_the_largest_page_that_fits_each_piece_and_level_1_pages_on_request(string layout) =>
        OperationLayouts.Run(layout, new LargestPages());

    // ----- Partial huge pages -----

    private sealed class PartialHugeUnmap : IOperationsTest
    {
        public void Run<TLayout, TEntry>()
            where TLayout : struct, IPageTableLayout<TEntry>
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        {
            ulong huge = TLayout.PageSize(2), va = 4 * huge, pa = 16 * huge;
            using var space = new Space<TLayout, TEntry>();
            space.Map(va, pa, huge, P | RW | US).ThrowIfFailed();
            int tables = space.Memory.TablesInUse;

            space.Unmap(va + 5 * K4, 2 * K4).ThrowIfFailed();

            Assert.Equal(
                [new Mapping(va, pa, 5 * K4, P | RW | US, 1), new Mapping(va + 7 * K4, pa + 7 * K4, huge - 7 * K4, P | RW | US, 1)],
                space.Mappings(0, ulong.MaxValue));
            Assert.Equal(tables + 1, space.Memory.TablesInUse);
            Assert.Null(space.Translate(va + 6 * K4));
            Assert.Equal(pa + 7 * K4 + 0x123, space.Translate(va + 7 * K4 + 0x123));

            // Unmapping the rest with freeing gives the split table back.
            space.Unmap(va, huge, UnmapOptions.FreeEmptyTables).ThrowIfFailed();
            Assert.Equal(space.Baseline, space.Memory.TablesInUse);
        }
    }

    [Theory]
    [MemberData(nameof(HugeLayouts))]
    public void Unmap_of_part_of_a_huge_page_splits_it_and_keeps_the_rest_mapped(string layout) =>
        OperationLayouts.Run(layout, new PartialHugeUnmap());

    [Fact]
    public void Unmap_of_a_page_inside_a_1_GiB_page_splits_down_to_4_KiB_around_it_only()
    {
        using var space = new Space<X86_64.Layout, ulong>();
        space.Map(G1, 8 * G1, G1, P | RW).ThrowIfFailed();
        space.Unmap(G1 + 3 * M2 + K4, K4).ThrowIfFailed();
        Assert.Equal(
            [
                new Mapping(G1, 8 * G1, 3 * M2, P | RW | PS, 2),
                new Mapping(G1 + 3 * M2, 8 * G1 + 3 * M2, K4, P | RW, 1),
                new Mapping(G1 + 3 * M2 + 2 * K4, 8 * G1 + 3 * M2 + 2 * K4, M2 - 2 * K4, P | RW, 1),
                new Mapping(G1 + 4 * M2, 8 * G1 + 4 * M2, G1 - 4 * M2, P | RW | PS, 2),
            ],
            space.Mappings(0, ulong.MaxValue));
    }

    [Fact]
    public void Unmap_needing_a_split_without_a_free_table_changes_nothing()
    {
        using var space = new Space<X86_64.Layout, ulong>(frames: 3); // root, level 3, level 2: none left to split with
        space.Map(M2, M2, M2, P | RW).ThrowIfFailed();
        var before = space.Snapshot();

        var result = space.Unmap(M2 + K4, K4);

        Assert.Equal(PageTableStatus.OutOfTables, result.Status);
        Assert.Equal(before, space.Snapshot());
        // A range covering the whole huge page needs no split.
        space.Unmap(M2, M2).ThrowIfFailed();
        Assert.Empty(space.Mappings(0, ulong.MaxValue));
    }

    [Fact]
    public void Unmap_freeing_empty_tables_over_a_table_that_links_itself_never_frees_the_root_or_a_frame_twice()
    {
        // Corrupt tables: the root's entry 0 points back to the root, so at level 1 the walk meets that very
        // entry as a "leaf" and clears it. Leave must not then take the cleared entry's address (0: the root
        // itself here) for an empty table to free.
        using var memory = new SimulatedMemory(16 * SimulatedMemory.FrameSize, start: 0);
        ulong root = memory.AllocateTable();
        Assert.Equal(0UL, root);
        *(ulong*)memory.Pointer(root, 8) = root | P | RW;

        var result = X86_64.Unmap(memory.View, memory, root, 0, 512 * G1, UnmapOptions.FreeEmptyTables);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(1, memory.TablesInUse); // the root, still allocated
        Assert.Equal(0UL, *(ulong*)memory.Pointer(root, 8));
    }

    [Fact]
    public void Unmap_freeing_empty_tables_over_a_two_table_cycle_frees_each_table_once()
    {
        // Corrupt tables: root[0] -> T, T[0] -> U, U[0] -> T. The walk meets T's entries as leaves under U and
        // clears them; T, now empty, is freed at U[0], and must not be freed again at root[0].
        using var space = new Space<X86_64.Layout, ulong>();
        ulong t = space.Memory.AllocateTable(), u = space.Memory.AllocateTable();
        ulong* Entry(ulong table) => (ulong*)space.Memory.Pointer(table, 8);
        *Entry(space.Root) = t | P | RW;
        *Entry(t) = u | P | RW;
        *Entry(u) = t | P | RW;

        var result = space.Unmap(0, 512 * G1, UnmapOptions.FreeEmptyTables);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(0UL, *Entry(space.Root));
        Assert.Equal(space.Baseline + 1, space.Memory.TablesInUse); // T freed (once); U, emptied but no longer linked, stays allocated
    }

    [Fact]
    public void Protect_changes_present_leaves_in_the_range_only_and_splits_a_partly_covered_huge_page()
    {
        using var space = new Space<X86Pae.Layout, ulong>();
        space.Map(0, 0x100_0000, M2, P | RW).ThrowIfFailed(); // one 2 MiB page
        space.Map(M2 + K4, 0x5000, K4, P | RW).ThrowIfFailed(); // a 4 KiB page after a hole

        space.Protect(M2 / 2, M2, clear: RW, set: NX).ThrowIfFailed(); // change_readonly over [1 MiB, 3 MiB)

        Assert.Equal(
            [
                new Mapping(0, 0x100_0000, M2 / 2, P | RW, 1),
                new Mapping(M2 / 2, 0x100_0000 + M2 / 2, M2 / 2, P | NX, 1),
                new Mapping(M2 + K4, 0x5000, K4, P | NX, 1),
            ],
            space.Mappings(0, ulong.MaxValue));
    }

    [Fact]
    public void Protect_of_a_whole_huge_page_keeps_it_huge()
    {
        using var space = new Space<X86_64.Layout, ulong>();
        space.Map(M2, M2, M2, P | RW).ThrowIfFailed();
        space.Protect(M2, M2, clear: RW | PS, set: US).ThrowIfFailed(); // PS in the masks is ignored above level 1
        Assert.Equal([new Mapping(M2, M2, M2, P | US | PS, 2)], space.Mappings(0, ulong.MaxValue));
    }

    [Fact]
    public void Protect_refuses_to_clear_every_leaf_bit_of_a_RISC_V_megapage_and_changes_nothing()
    {
        const ulong V = 0x1, R = 0x2, W = 0x4;
        using var space = new Space<Sv39.Layout, ulong>();
        space.Map(M2, 0x8000_0000, 2 * M2, V | R | W).ThrowIfFailed(); // two 2 MiB megapages
        var before = space.Snapshot();

        // Splits the first megapage, covers the second one whole: refused (R=W=X=0 is a pointer: at level 1 a fault, on
        // the megapage a table pointer), split undone.
        var refused = space.Protect(M2 + M2 / 2, M2 + M2 / 2, clear: R | W, set: 0);

        Assert.Equal(PageTableStatus.NotALeaf, refused.Status);
        Assert.Contains("faults on", refused.Message);
        Assert.Equal(before, space.Snapshot());
        space.Protect(M2, 2 * M2, clear: W, set: 0).ThrowIfFailed(); // read-only megapages stay leaves
        Assert.Equal([new Mapping(M2, 0x8000_0000, 2 * M2, V | R, 2)], space.Mappings(0, ulong.MaxValue));
    }

    // ----- Listings -----

    [Fact]
    public void Mappings_by_protection_merge_across_frames_and_sizes_and_honour_table_entries()
    {
        using var space = new Space<X86_64.Layout, ulong>();
        space.Map(0, G1, M2, P | RW).ThrowIfFailed();
        space.Map(M2, 0x1234_5000, K4, P | RW | 0x20).ThrowIfFailed(); // accessed: not part of the protection
        space.Map(M2 + K4, 0x7000, K4, P).ThrowIfFailed();
        var x86 = new MappingOptions { ProtectionMask = P | RW | US | NX }; // the layout's [Inherit] rules do the rest

        Assert.Equal(3, space.Mappings(0, ulong.MaxValue).Count);
        Assert.Equal([new Mapping(0, G1, M2 + K4, P | RW, 2), new Mapping(M2 + K4, 0x7000, K4, P, 1)],
            space.Mappings(0, ulong.MaxValue, x86));

        // A read-only, no-execute root entry makes everything below it read-only and no-execute.
        ulong* root = (ulong*)space.Memory.Pointer(space.Root, 8);
        *root = (*root & ~RW) | NX;
        Assert.Equal([new Mapping(0, G1, M2 + 2 * K4, P | NX, 2)], space.Mappings(0, ulong.MaxValue, x86));
    }

    [Fact]
    public void TranslateMany_reports_unmapped_addresses_and_agrees_with_TryTranslate()
    {
        using var space = new Space<X86_64.Layout, ulong>();
        space.Map(0x7FFF_FFE0_0000, 0x4000_0000, M2, P).ThrowIfFailed();
        space.Map(0x7FFF_FFE0_0000 + M2 - K4 * 0 - 0, 0x9000, 0, P).ThrowIfFailed(); // size 0: a no-op
        space.Map(0xFFFF_8000_0000_0000, 0x8000, K4, P).ThrowIfFailed();
        ulong[] vas = [0x7FFF_FFE0_0123, 0x7FFF_FFFF_FFFF, 0x7FFF_FFE0_1000, 0xFFFF_8000_0000_0FFF, 0x8000_0000_0000, 0, 0xFFFF_8000_0000_1000];
        var pas = new ulong[vas.Length];

        int mapped = X86_64.TranslateMany(space.View, space.Root, vas, pas);

        Assert.Equal(4, mapped);
        Assert.Equal([0x4000_0123, 0x401F_FFFF, 0x4000_1000, 0x8FFF, NotMapped, NotMapped, NotMapped], pas);
        for (int i = 0; i < vas.Length; i++)
            Assert.Equal(space.Translate(vas[i]) ?? NotMapped, pas[i]);
    }

    [Fact]
    public void TranslateMany_agrees_with_TryTranslate_on_scattered_and_nearby_blocks_alike()
    {
        // TranslateMany picks per block of addresses between the translator and walks from the root: blocks of
        // scattered addresses, nearby ones and scattered again, with holes, must all translate as TryTranslate does.
        using var space = new Space<X86_64.Layout, ulong>();
        space.Map(0x40_0000_0000, 0x1_0000_0000, 64 * M2, P).ThrowIfFailed();
        space.Map(0x7F00_0000_0000, 0x9000_0000, G1, P, MapOptions.SmallestPages).ThrowIfFailed();
        var random = new Random(11);
        var vas = new ulong[1000];
        for (int i = 0; i < vas.Length; i++)
        {
            bool nearby = i / 150 % 2 == 1;
            vas[i] = nearby ? 0x7F00_0000_0000 + (ulong)i * 0x800 : (ulong)random.NextInt64(0x40_0000_0000, 0x40_0000_0000 + 128 * (long)M2);
        }
        var pas = new ulong[vas.Length];

        int mapped = X86_64.TranslateMany(space.View, space.Root, vas, pas);

        int expectedMapped = 0;
        for (int i = 0; i < vas.Length; i++)
        {
            ulong expected = X86_64.TryTranslate(space.View, space.Root, vas[i], out ulong pa) ? pa : NotMapped;
            expectedMapped += expected != NotMapped ? 1 : 0;
            Assert.True(expected == pas[i], $"address {i} (0x{vas[i]:x}): TranslateMany 0x{pas[i]:x}, TryTranslate 0x{expected:x}");
        }
        Assert.Equal(expectedMapped, mapped);
        Assert.InRange(mapped, 400, 999);
    }

    private const ulong NotMapped = PageTables<X86_64.Layout, ulong>.NotMapped;

    // ----- Entry writers -----

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Queued_and_direct_writers_leave_identical_memory(int seed)
    {
        using var direct = new Space<X86_64.Layout, ulong>();
        using var queued = new Space<X86_64.Layout, ulong>();
        var queue = new EntryUpdateQueue<ulong>();
        var writer = new QueuedEntryWriter<ulong>(queue);
        var random = new Random(seed);
        const ulong Window = 0x7F7F_FFC0_0000;
        for (int step = 0; step < 300; step++)
        {
            ulong va = Window + (ulong)random.Next(2048) * K4;
            ulong size = (ulong)random.Next(1, Math.Min(1200, 2049 - (int)((va - Window) / K4))) * K4;
            int kind = random.Next(3);
            ulong flags = P | (random.Next(2) == 0 ? RW : 0);
            var unmap = random.Next(2) == 0 ? UnmapOptions.FreeEmptyTables : UnmapOptions.None;
            var (a, b) = kind switch
            {
                0 => (direct.Map(va, va & 0xFFF_FFFF, size, flags, MapOptions.Overwrite),
                      X86_64.Map(queued.View, queued.Memory, queued.Root, va, va & 0xFFF_FFFF, size, flags, MapOptions.Overwrite, writer)),
                1 => (direct.Unmap(va, size, unmap), X86_64.Unmap(queued.View, queued.Memory, queued.Root, va, size, unmap, writer)),
                _ => (direct.Protect(va, size, RW, NX), X86_64.Protect(queued.View, queued.Memory, queued.Root, va, size, RW, NX, writer)),
            };
            Assert.Equal(a, b);
            Assert.Equal(0, queue.Pending);
            Assert.True(direct.Snapshot().AsSpan().SequenceEqual(queued.Snapshot()), $"memory differs after step {step}");
        }
        Assert.True(queue.Updates > 10 * queue.Batches, $"{queue.Updates} updates in {queue.Batches} batches: not batched");
    }

    [Fact]
    public void Update_queue_flushes_when_full_and_at_the_end()
    {
        using var space = new Space<X86_64.Layout, ulong>();
        space.Map(0, 0, 1300 * K4, P | RW, MapOptions.SmallestPages).ThrowIfFailed();
        var queue = new EntryUpdateQueue<ulong>();

        X86_64.Protect(space.View, space.Memory, space.Root, 0, 1300 * K4, RW, 0, new QueuedEntryWriter<ulong>(queue)).ThrowIfFailed();

        Assert.Equal(1300, queue.Updates);
        Assert.Equal(3, queue.Batches); // 512 + 512 + 276
        Assert.Equal(0, queue.Pending);
        Assert.Equal([new Mapping(0, 0, 1300 * K4, P, 1)], space.Mappings(0, ulong.MaxValue));
    }

    // ----- Bad arguments -----

    [Fact]
    public void Bad_arguments_throw_with_the_reason()
    {
        using var space = new Space<X86_64.Layout, ulong>();
        Assert.Contains("not aligned", Assert.Throws<ArgumentException>(() => space.Map(0x123, 0, K4, P)).Message);
        Assert.Contains("present", Assert.Throws<ArgumentException>(() => space.Map(0, 0, K4, RW)).Message);
        Assert.Contains("address field", Assert.Throws<ArgumentException>(() => space.Map(0, 0, K4, P | 0x1000)).Message);
        Assert.Contains("non-canonical", Assert.Throws<ArgumentException>(() => space.Map(0x7FFF_FFFF_F000, 0, 2 * K4, P)).Message);
        Assert.Contains("present", Assert.Throws<ArgumentException>(() => space.Protect(0, K4, P, 0)).Message);
        using var legacy = new Space<X86Legacy.Layout, uint>();
        Assert.Contains("does not fit", Assert.Throws<ArgumentException>(() => legacy.Map(0, 0xFFFF_F000, 2 * K4, P)).Message);
        Assert.Contains("32-bit entry", Assert.Throws<ArgumentException>(() => legacy.Map(0, 0, K4, P | NX)).Message);
    }
}
