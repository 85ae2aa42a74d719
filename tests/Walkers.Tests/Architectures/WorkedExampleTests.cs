using System.Collections.Generic;
using Walkers.Layouts;

namespace Walkers.Tests.Architectures;

/// <summary>
/// Facts from the architecture manuals (Intel SDM vol. 3 ch. 4, the RISC-V privileged spec "Virtual-Memory Systems",
/// the Arm ARM D8 "The AArch64 Virtual Memory System Architecture"), checked against the ready layouts as plain
/// numbers: how an address splits into indices, what one entry covers, how root registers decode, how a 52-bit
/// output address is put together, and which encodings fault.
/// </summary>
public sealed unsafe class WorkedExampleTests
{
    private static int[] Indices(LevelTable table, ulong va)
    {
        var indices = new int[table.Levels];
        for (int level = table.Levels; level >= 1; level--)
            indices[table.Levels - level] = (int)((va >> table[level].Shift) & (ulong)(table[level].Entries - 1));
        return indices;
    }

    // ----- Address -> index at each level (root first), and what one entry covers -----

    [Fact]
    public void X86_64_splits_a_kernel_address_into_four_9_bit_indices_and_a_12_bit_offset() =>
        // 0xffff888000123456: PML4 273 (0x111, the direct map), PDPT 0, PD 0, PT 0x123.
        Assert.Equal([273, 0, 0, 0x123], Indices(X86_64.LevelTable, 0xFFFF_8880_0012_3456));

    [Fact]
    public void Sv39_splits_an_address_into_three_9_bit_VPNs() =>
        // 0x3f84862123: VPN[2] = bits 38:30 = 0xfe, VPN[1] = bits 29:21 = 0x24, VPN[0] = bits 20:12 = 0x62.
        Assert.Equal([0xFE, 0x24, 0x62], Indices(Sv39.LevelTable, 0x3F_8486_2123));

    [Fact]
    public void Arm64_16K_48_has_a_2_entry_level_0_table_then_11_bit_indices() =>
        // 16 KiB granule, 48-bit: L0 index = bit 47, L1 = bits 46:36, L2 = bits 35:25, L3 = bits 24:14.
        Assert.Equal([1, 0x7FF, 0, 3], Indices(Arm64_16K_48.LevelTable, 0x0000_FFF0_0000_C000));

    [Fact]
    public void Arm64_64K_52_has_a_1024_entry_level_1_table_over_bits_51_42() =>
        Assert.Equal([0x3FF, 0x1E00, 0x1], Indices(Arm64_64K_52.LevelTable, 0x000F_FFC0_0001_0000));

    public static TheoryData<string, int, ulong> BlockSizes => new()
    {
        { "4level", 2, 2UL << 20 }, { "4level", 3, 1UL << 30 }, { "legacy", 2, 4UL << 20 }, { "pae", 2, 2UL << 20 },
        { "sv32", 2, 4UL << 20 }, { "sv39", 3, 1UL << 30 }, { "sv48", 4, 512UL << 30 }, { "sv57", 5, 256UL << 40 },
        { "arm64-4k-48", 2, 2UL << 20 }, { "arm64-4k-48", 3, 1UL << 30 }, { "arm64-4k-52", 4, 512UL << 30 },
        { "arm64-16k-47", 2, 32UL << 20 }, { "arm64-64k-42", 2, 512UL << 20 }, { "arm64-64k-52", 3, 4UL << 40 },
    };

    [Theory]
    [MemberData(nameof(BlockSizes))]
    public void A_leaf_at_a_level_covers_the_manuals_block_size(string layout, int level, ulong bytes)
    {
        var table = ReadyLayouts.Find(layout)!.Lower.Table;
        Assert.True(table[level].LeafAllowed);
        Assert.Equal(bytes, table[level].PageSize);
    }

    [Theory]
    [InlineData("4level", 4)]
    [InlineData("arm64-4k-48", 4)]   // no 512 GiB blocks without LPA2
    [InlineData("arm64-16k-47", 3)]  // no 64 GiB blocks without LPA2
    [InlineData("arm64-64k-48", 3)]  // no 4 TiB blocks without LPA
    public void Levels_without_blocks_have_no_leaves(string layout, int level) =>
        Assert.False(ReadyLayouts.Find(layout)!.Lower.Table[level].LeafAllowed);

    // ----- Root registers -----

    [Theory]
    [InlineData("4level", 0x8000_0000_02AE_8123UL, 0x2AE_8000UL)]   // CR3: bit 63 (no flush) and PCID 0x123 dropped
    [InlineData("pae", 0x0121_ADC0UL, 0x0121_ADC0UL)]              // PAE CR3: the PDPT is 32-byte aligned
    [InlineData("legacy", 0x0123_4567UL, 0x0123_4000UL)]           // legacy CR3: PCD/PWT and the low bits dropped
    [InlineData("sv39", 0x8000_3000_0008_12AAUL, 0x8_12AA_000UL)]  // satp: MODE 8, ASID 3, PPN 0x812aa
    [InlineData("sv32", 0x8012_3456UL, 0x1_2345_6000UL)]            // RV32 satp: MODE bit 31, PPN 21:0 -> a 34-bit address
    [InlineData("arm64-4k-48", 0x0073_0000_404B_7000UL, 0x404B_7000UL)] // TTBR1 with ASID 0x73 (TCR.A1 = 1)
    [InlineData("arm64-4k-48", 0x0000_0000_40C6_F001UL, 0x40C6_F000UL)] // TTBR0 with CnP
    [InlineData("arm64-64k-52", 0x0042_0000_1234_0028UL, 0x000A_0000_1234_0000UL)] // BADDR, and TTBR[5:2] = PA[51:48] = 0xA
    public void The_root_register_decodes_to_the_root_tables_address(string layout, ulong register, ulong root) =>
        Assert.Equal(root, ReadyLayouts.Find(layout)!.Lower.Table.RootFromRegister(register));

    [Fact]
    public void The_generated_decoders_agree_with_the_manuals_too()
    {
        Assert.Equal(0x2AE_8000UL, X86_64.RootFromRegister(0x8000_0000_02AE_8123));
        Assert.Equal(0x8_12AA_000UL, Sv39.RootFromRegister(0x8000_3000_0008_12AA));
        var roots = Arm64_4K_48.RootsFromRegisters(0x40C6_F000, 0x0073_0000_404B_7000);
        Assert.Equal(new PageTableRoots(0x40C6_F000, 0x404B_7000), roots);
    }

    [Fact]
    public void Tcr_el1_of_the_a72_capture_decodes_to_4K_48_bit_halves_with_TBI0()
    {
        var tcr = Arm64Tcr.Decode(0x0040_0034_B550_3510);
        Assert.Equal(new Arm64Half(4096, 48, Enabled: true, TopByteIgnore: true, HierarchicalPermissionsDisabled: false), tcr.Lower);
        Assert.Equal(new Arm64Half(4096, 48, Enabled: true, TopByteIgnore: false, HierarchicalPermissionsDisabled: false), tcr.Upper);
        Assert.Equal(44, tcr.PhysicalAddressBits);
        Assert.False(tcr.HardwareAccessFlag);
        Assert.Same(ReadyLayouts.Arm64_4K_48, ReadyLayouts.ForArm64(tcr.Lower, tcr.Lpa2));
    }

    [Theory]
    [InlineData(0x0000_0000_0000_C000UL)] // TG0 = 3: reserved
    [InlineData(0x0000_0000_0000_0010UL)] // TG1 = 0: reserved
    public void A_tcr_naming_a_reserved_granule_is_refused(ulong tcr) =>
        Assert.Throws<System.FormatException>(() => Arm64Tcr.Decode(tcr | 0x8000_0000));

    [Theory]
    [InlineData(0x8000_0000_0000_0000UL, false, "sv39")]
    [InlineData(0x9000_0000_0000_0000UL, false, "sv48")]
    [InlineData(0xA000_0000_0000_0000UL, false, "sv57")]
    [InlineData(0x8000_0000UL, true, "sv32")]
    [InlineData(0x0000_0000_0008_12AAUL, false, null)] // Bare
    [InlineData(0xB000_0000_0000_0000UL, false, null)] // reserved (Sv64)
    public void Satp_mode_selects_the_riscv_layout(ulong satp, bool rv32, string? layout) =>
        Assert.Equal(layout, ReadyLayouts.ForSatp(satp, rv32)?.Name);

    // ----- Output addresses made of two fields -----

    [Fact]
    public void A_64K_granule_descriptor_keeps_OA_51_48_in_bits_15_12()
    {
        // OA 0x0007_0001_2345_0000: bits 47:16 in place, OA[51:48] = 0x7 in bits 15:12.
        ulong descriptor = 0x0060_0001_2345_0000UL | (0x7UL << 12) | 0x703;
        Assert.Equal(0x0007_0001_2345_0000UL, Arm64_64K_52.Layout.EntryAddress(descriptor));
        Assert.Equal(descriptor, Arm64_64K_52.Layout.MakeEntry(0x0007_0001_2345_0000, 0x0060_0000_0000_0703));
    }

    [Fact]
    public void An_LPA2_descriptor_keeps_OA_51_50_in_bits_9_8()
    {
        ulong oa = 0x000F_1234_5678_9000;
        ulong descriptor = (oa & 0x0003_FFFF_FFFF_F000) | 0x300 | 0x3;
        Assert.Equal(oa, Arm64_4K_52.Layout.EntryAddress(descriptor));
        Assert.Equal(descriptor, Arm64_4K_52.Layout.MakeEntry(oa, 0x3));
    }

    [Fact]
    public void Bit_51_DBM_is_not_an_address_bit_of_a_48_bit_layout() =>
        // Linux sets DBM on every writable page: read as address it moved 11,914 of 12,132 user pages of the capture.
        Assert.Equal(0x4812_3000UL, Arm64_4K_48.Layout.EntryAddress(0x0008_0000_4812_3000UL | 0x743));

    // ----- What faults -----

    public static TheoryData<string, ulong, int, EntryKind> Kinds => new()
    {
        // AArch64: 0b11 at the last level is a page, 0b01 there is reserved; 0b01 at L0 (no blocks) is a fault.
        { "arm64-4k-48", 0x4000_0003, 1, EntryKind.Leaf },
        { "arm64-4k-48", 0x4000_0001, 1, EntryKind.Fault },
        { "arm64-4k-48", 0x4000_0001, 2, EntryKind.Leaf },
        { "arm64-4k-48", 0x4000_0003, 2, EntryKind.Table },
        { "arm64-4k-48", 0x4000_0001, 4, EntryKind.Fault },
        { "arm64-4k-48", 0x4000_0002, 2, EntryKind.Absent },
        // RISC-V: V=0 invalid; W without R reserved; a pointer at level 1; a misaligned superpage.
        { "sv39", 0x2000_00CE, 1, EntryKind.Absent },
        { "sv39", 0x2000_00C5, 1, EntryKind.Fault },
        { "sv39", 0x2000_00C5, 2, EntryKind.Fault },
        { "sv39", 0x2000_0001, 1, EntryKind.Fault },
        { "sv39", 0x2000_0001, 2, EntryKind.Table },
        { "sv39", 0x2000_04CF, 2, EntryKind.Fault },   // PPN[0] = 1: a 2 MiB leaf at 0x80001000, misaligned
        { "sv39", 0x2000_00CF, 2, EntryKind.Leaf },    // aligned: a 2 MiB leaf at 0x80000000
        { "sv39", 0x2000_0009, 1, EntryKind.Leaf },    // execute-only
        // x86 (as QEMU reads it): PS at the PML4 is not looked at.
        { "4level", 0x1000_00E3, 4, EntryKind.Table },
        { "4level", 0x1000_00E3, 2, EntryKind.Leaf },
        { "4level", 0x1000_0063, 2, EntryKind.Table },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void An_entry_is_what_the_manual_says_at_its_level(string layout, ulong entry, int level, EntryKind kind)
    {
        var handle = ReadyLayouts.Find(layout)!.Lower;
        Assert.Equal(kind, handle.Table.Kind(entry, level));
        Assert.Equal(kind, handle.Accept(new KindOf(entry, level)));
    }

    private sealed class KindOf(ulong entry, int level) : ILayoutAction<EntryKind>
    {
        public EntryKind Run<TLayout, TEntry>()
            where TLayout : struct, IPageTableLayout<TEntry>
            where TEntry : unmanaged, System.Numerics.IBinaryInteger<TEntry>, System.Numerics.IUnsignedNumber<TEntry> =>
            TLayout.Kind(entry, level);
    }

    [Fact]
    public void Faults_translate_to_nothing_and_a_walk_hands_them_over_as_leaves_without_following_them()
    {
        // Sv39: root[0] -> table T; T[0] W-only (reserved), T[1] a misaligned megapage, T[2] -> U; U[0] a pointer (fault at level 1), U[1] a page.
        using var memory = new SimulatedMemory(1 << 20);
        ulong root = memory.AllocateTable(), t = memory.AllocateTable(), u = memory.AllocateTable();
        ulong* Table(ulong pa) => (ulong*)memory.Pointer(pa, 4096);
        Table(root)[0] = (t >> 2) | 0x1;
        Table(t)[0] = (0x8000_0000 >> 2) | 0xC5;
        Table(t)[1] = (0x8040_1000 >> 2) | 0xCF;
        Table(t)[2] = (u >> 2) | 0x1;
        Table(u)[0] = (0x9000 >> 2) | 0x1;
        Table(u)[1] = (0xA000 >> 2) | 0xC3;

        Assert.False(Sv39.TryTranslate(memory.View, root, 0x0000, out _));
        Assert.False(Sv39.TryTranslate(memory.View, root, 0x20_0000, out _));
        Assert.False(Sv39.TryTranslate(memory.View, root, 0x40_0000, out _));
        Assert.True(Sv39.TryTranslate(memory.View, root, 0x40_1234, out ulong pa));
        Assert.Equal(0xA234UL, pa);
        var leaves = new List<(ulong Va, int Level, EntryKind Kind)>();
        var visitor = new DelegateVisitor<ulong>((va, level, isLeaf, entry) =>
        {
            if (isLeaf && Sv39.Layout.IsPresent(*entry))
                leaves.Add((va, level, Sv39.Layout.Kind(*entry, level)));
            return 0;
        });
        Sv39.Walk(memory.View, root, 0, 0x7F_FFFF, ref visitor);
        Assert.Equal([(0UL, 2, EntryKind.Fault), (0x20_0000UL, 2, EntryKind.Fault), (0x40_0000UL, 1, EntryKind.Fault), (0x40_1000UL, 1, EntryKind.Leaf)], leaves);
        Assert.Equal([new Mapping(0x40_1000, 0xA000, 0x1000, 0xC3, 1)], Sv39.Mappings(memory.View, root, 0, ulong.MaxValue));
    }

    // ----- Upper halves, TBI and inherited permissions -----

    [Fact]
    public void A_split_layout_maps_and_walks_the_upper_half_through_its_own_root_with_real_upper_addresses()
    {
        using var memory = new SimulatedMemory(1 << 20);
        ulong lower = memory.AllocateTable(), upper = memory.AllocateTable();
        var roots = new PageTableRoots(lower, upper);
        Arm64_4K_48.Map(memory.View, memory, roots, 0x0000_1234_5600_0000, 0x4000_0000, 0x20_0000, 0x403).ThrowIfFailed();
        Arm64_4K_48.Map(memory.View, memory, roots, 0xFFFF_8000_0000_0000, 0x4020_0000, 0x1000, 0x403).ThrowIfFailed();

        Assert.Equal(
            [new Mapping(0x0000_1234_5600_0000, 0x4000_0000, 0x20_0000, 0x401, 2), new Mapping(0xFFFF_8000_0000_0000, 0x4020_0000, 0x1000, 0x403, 1)],
            Arm64_4K_48.Mappings(memory.View, roots, 0, ulong.MaxValue));
        Assert.True(Arm64_4K_48.TryTranslate(memory.View, roots, 0xFFFF_8000_0000_0ABC, out ulong pa));
        Assert.Equal(0x4020_0ABCUL, pa);
        // The lower half ignores the top byte (TBI0); the upper half does not (TBI1 = 0).
        Assert.True(Arm64_4K_48.TryTranslate(memory.View, roots, 0xA500_1234_5612_3456, out pa));
        Assert.Equal(0x4012_3456UL, pa);
        Assert.False(Arm64_4K_48.TryTranslate(memory.View, roots, 0x00FF_8000_0000_0ABC, out _));
        // Nothing of the upper half lives in the lower root.
        Assert.False(Arm64_4K_48.Layout.TryTranslate(memory.View, lower, 0xFFFF_8000_0000_0ABC, out _));
    }

    [Fact]
    public void A_half_without_a_root_maps_nothing_and_says_so()
    {
        using var memory = new SimulatedMemory(1 << 20);
        var roots = new PageTableRoots(memory.AllocateTable(), null);
        var result = Arm64_4K_48.Map(memory.View, memory, roots, 0xFFFF_8000_0000_0000, 0x4000_0000, 0x1000, 0x403);
        Assert.Equal(PageTableStatus.NoRoot, result.Status);
        Assert.False(Arm64_4K_48.TryTranslate(memory.View, roots, 0xFFFF_8000_0000_0000, out _));
    }

    [Fact]
    public void Aarch64_table_attributes_restrict_the_pages_below_them()
    {
        using var memory = new SimulatedMemory(1 << 20);
        ulong root = memory.AllocateTable();
        const ulong ApEl0 = 1 << 6, ApReadOnly = 1 << 7, Pxn = 1UL << 53, Uxn = 1UL << 54;
        PageTables<Arm64_4K_48.Layout, ulong>.Map(memory.View, memory, root, 0x1000, 0x4000_0000, 0x1000, 0x403 | ApEl0).ThrowIfFailed();
        ulong* top = (ulong*)memory.Pointer(root, 8);
        var mask = new MappingOptions { ProtectionMask = ApEl0 | ApReadOnly | Pxn | Uxn };
        Assert.Equal(ApEl0, PageTables<Arm64_4K_48.Layout, ulong>.Mappings(memory.View, root, 0, ulong.MaxValue, mask)[0].Flags);
        *top |= (1UL << 61) | (1UL << 62) | (1UL << 59) | (1UL << 60); // APTable = 0b11 (no EL0, read-only), PXNTable, UXNTable
        Assert.Equal(ApReadOnly | Pxn | Uxn, PageTables<Arm64_4K_48.Layout, ulong>.Mappings(memory.View, root, 0, ulong.MaxValue, mask)[0].Flags);
    }

    [Fact]
    public void Map_writes_a_present_block_on_a_layout_whose_table_rule_is_0b11_with_the_valid_bit()
    {
        // Found by a user: LeafFlags cleared bits [1:0] (the valid bit too), so the block was not present.
        using var memory = new SimulatedMemory(1 << 20);
        ulong root = memory.AllocateTable();
        var result = Support.AArch64AsWritten.Map(memory.View, memory, root, 0x4000_0000, 0x8000_0000, 0x20_0000, 0x403);

        Assert.True(result.Succeeded, result.Message);
        ulong* block = Support.AArch64AsWritten.GetEntry(memory.View, root, 0x4000_0000);
        Assert.True(block != null);
        Assert.Equal(0x8000_0401UL, *block); // a block descriptor: bits[1:0] = 0b01
        Assert.True(Support.AArch64AsWritten.TryTranslate(memory.View, root, 0x4012_3456, out ulong pa));
        Assert.Equal(0x8012_3456UL, pa);
        Assert.Single(Support.AArch64AsWritten.Mappings(memory.View, root, 0, ulong.MaxValue));
    }

    [Theory]
    [InlineData(16384u)]
    [InlineData(65536u)]
    [InlineData(16u)]
    public void Simulated_memory_serves_tables_of_every_size_aligned_to_their_size(uint bytes)
    {
        using var memory = new SimulatedMemory(1 << 20, start: 0x4000_1000); // frame aligned, not 16 KiB aligned
        var tables = new List<(ulong Start, ulong Bytes)> { (memory.AllocateTable(4096), 4096) };
        ulong size = System.Math.Max(bytes, 4096u); // smaller tables take a whole frame
        for (int i = 0; i < 3; i++)
            tables.Add((memory.AllocateTable(bytes), size));
        foreach (var (start, _) in tables)
            Assert.True(start % 4096 == 0 && (start == tables[0].Start || start % size == 0), $"0x{start:x} is not aligned to {size}");
        tables.Sort();
        for (int i = 1; i < tables.Count; i++)
            Assert.True(tables[i].Start >= tables[i - 1].Start + tables[i - 1].Bytes, $"tables overlap: {string.Join(", ", tables)}");
        ulong second = tables[2].Start;
        Assert.True(memory.Owns(second));
        memory.FreeTable(second);
        Assert.False(memory.Owns(second));
        Assert.Throws<System.ArgumentException>(() => memory.AllocateTable(3 * 4096));
    }

    [Fact]
    public void A_64K_granule_layout_maps_with_64K_tables_from_the_allocator()
    {
        using var memory = new SimulatedMemory(4 << 20);
        ulong root = memory.AllocateTable(Arm64_64K_48.Layout.TableBytes(3));
        PageTables<Arm64_64K_48.Layout, ulong>.Map(memory.View, memory, root, 0x1_0000, 0x4000_0000, 0x1_0000, 0x403).ThrowIfFailed();
        Assert.Equal(3, memory.TablesInUse); // root, level 2, level 1: 64 KiB each
        Assert.True(Arm64_64K_48.Layout.TryTranslate(memory.View, root, 0x1_FFFF, out ulong pa));
        Assert.Equal(0x4000_FFFFUL, pa);
    }
}
