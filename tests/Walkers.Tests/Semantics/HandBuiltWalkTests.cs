using Walkers.Layouts;
using Walkers.Tests.Support;
using static Walkers.Tests.Semantics.HandBuilt;

namespace Walkers.Tests.Semantics;

/// <summary>
/// The walk semantics on small hand-built tables, one layout each, with the expected calls written out:
/// pre-order, ascending, va of each entry's region, isLeaf, entry address, and post-order Leave calls.
/// Frames are allocated in order from physical 0: frame k is at k * 0x1000.
/// </summary>
public sealed unsafe class HandBuiltWalkTests
{
    // x86-64: L4[0] -> L3 (frame 1); L3[0] -> L2 (frame 2); L2[2] -> L1 (frame 3); L1[511] = 4K page;
    // L2[3] = 2 MiB page; L3[1] = 1 GiB page.
    private static readonly ImageSpec X64 = Spec(4,
        Root(0, 0x1000 | 0x67), At(1, 0, 0x2000 | 0x67), At(2, 2, 0x3000 | 0x67),
        At(3, 511, 0x80_0000 | 0x23), At(2, 3, 0x20_0000 | PS | 0x63), At(1, 1, 0x4000_0000 | PS | 0x63));

    [Fact]
    public void X86_64_walk_descends_to_a_4K_page_then_meets_a_2M_page_and_leaves_tables_in_post_order() =>
        AssertWalks<ulong, X86_64.Layout>(X64, 0x5F_F000, 0x60_0000,
            V(0, 4, false, 0x0), V(0, 3, false, 0x1000), V(0x40_0000, 2, false, 0x2010),
            V(0x5F_F000, 1, true, 0x3FF8), L(0x40_0000, 2, 0x2010),
            V(0x60_0000, 2, true, 0x2018), L(0, 3, 0x1000), L(0, 4, 0x0));

    [Fact]
    public void X86_64_walk_stops_at_a_1G_page_at_level_3() =>
        AssertWalks<ulong, X86_64.Layout>(X64, 0x4000_0000, 0x7FFF_FFFF,
            V(0, 4, false, 0x0), V(0x4000_0000, 3, true, 0x1008), L(0, 4, 0x0));

    [Fact]
    public void X86_64_lookups_go_through_4K_2M_and_1G_pages()
    {
        using var image = new Image(X64, X86_64.LevelTable);
        Assert.True(X86_64.TryTranslate(image.View, 0, 0x5F_F123, out ulong pa));
        Assert.Equal(0x80_0123UL, pa);
        Assert.True(X86_64.TryTranslate(image.View, 0, 0x61_2345, out pa));
        Assert.Equal(0x21_2345UL, pa);
        Assert.True(X86_64.TryTranslate(image.View, 0, 0x7654_3210, out pa));
        Assert.Equal(0x7654_3210UL, pa);
        Assert.False(X86_64.TryTranslate(image.View, 0, 0x5F_E000, out pa)); // absent level-1 entry
        Assert.Equal(0UL, pa);
        Assert.False(X86_64.TryTranslate(image.View, 0, 0x8000_0000, out _)); // absent level-3 entry
        Assert.False(X86_64.TryTranslate(image.View, 0, 0x8000_0000_0000, out _)); // non-canonical
        Assert.Equal(0x3FF8UL, image.PhysicalOf(X86_64.GetEntry(image.View, 0, 0x5F_F123)));
        Assert.Equal(0x3FF0UL, image.PhysicalOf(X86_64.GetEntry(image.View, 0, 0x5F_E000))); // level-1 entry even when absent
        Assert.Equal(0x2018UL, image.PhysicalOf(X86_64.GetEntry(image.View, 0, 0x61_2345)));
        Assert.Equal(0x1008UL, image.PhysicalOf(X86_64.GetEntry(image.View, 0, 0x4000_0000)));
        Assert.True(X86_64.GetEntry(image.View, 0, 0x20_0000) == null); // absent level-2 entry
        Assert.True(X86_64.GetEntry(image.View, 0, 0x8000_0000_0000) == null);
    }

    // PAE: the root (4 entries, 32 bytes) is the last 32 bytes of frame 0; root[1] -> L2 (frame 1);
    // L2[2] -> L1 (frame 2); L1[511] = 4K page; L2[3] = 2 MiB page.
    private static readonly ImageSpec Pae = new(0, 3, 2, 0xFE0, new[]
    {
        Root(1, 0x1000 | P), At(1, 2, 0x2000 | 0x67), At(2, 511, 0x80_0000 | 0x23), At(1, 3, 0x20_0000 | PS | 0x63),
        At(0, 1, 0x2000 | 0x67), // bytes of frame 0 outside the root: never read
    });

    [Fact]
    public void X86Pae_walk_uses_a_32_byte_aligned_root_that_is_not_page_aligned() =>
        AssertWalks<ulong, X86Pae.Layout>(Pae, 0x405F_F000, 0x4060_0000,
            V(0x4000_0000, 3, false, 0xFE8), V(0x4040_0000, 2, false, 0x1010),
            V(0x405F_F000, 1, true, 0x2FF8), L(0x4040_0000, 2, 0x1010),
            V(0x4060_0000, 2, true, 0x1018), L(0x4000_0000, 3, 0xFE8));

    [Fact]
    public void X86Pae_walk_of_the_whole_space_visits_the_4_root_entries_and_nothing_above_4G()
    {
        var generated = WalkRunner.Generated<ulong, X86Pae.Layout>(Pae, new WalkRange(0, ulong.MaxValue, "all"), VisitorPolicy.None, tree: false);
        Assert.Equal(new ulong[] { 0xFE0, 0xFE8, 0xFF0, 0xFF8 }, generated.Calls.FindAll(c => c.Level == 3).ConvertAll(c => c.Entry));
        Assert.Equal(4 + 512 + 512, generated.Calls.Count);
        Assert.Empty(WalkRunner.Generated<ulong, X86Pae.Layout>(Pae, new WalkRange(0x1_0000_0000, ulong.MaxValue, "above"), VisitorPolicy.None, false).Calls);
        using var image = new Image(Pae, X86Pae.LevelTable);
        Assert.True(X86Pae.TryTranslate(image.View, 0xFE0, 0x405F_FABC, out ulong pa));
        Assert.Equal(0x80_0ABCUL, pa);
        Assert.True(X86Pae.TryTranslate(image.View, 0xFE0, 0x4061_0000, out pa));
        Assert.Equal(0x21_0000UL, pa);
        Assert.False(X86Pae.TryTranslate(image.View, 0xFE0, 0x1_405F_F000, out _)); // above 4 GiB: not an address
    }

    // Legacy x86 (32-bit entries): root[1] -> L1 (frame 1); L1[1023] = 4K page; root[2] = 4 MiB page.
    private static readonly ImageSpec Legacy = Spec(2,
        Root(1, 0x1000 | 0x67), At(1, 1023, 0x80_0000 | 0x23), Root(2, 0xC0_0000 | PS | 0x63));

    [Fact]
    public void X86Legacy_walk_with_32_bit_entries_meets_a_4K_page_then_a_4M_page() =>
        AssertWalks<uint, X86Legacy.Layout>(Legacy, 0x7F_F000, 0x80_0000,
            V(0x40_0000, 2, false, 0x4), V(0x7F_F000, 1, true, 0x1FFC), L(0x40_0000, 2, 0x4),
            V(0x80_0000, 2, true, 0x8));

    [Fact]
    public void X86Legacy_lookups_go_through_4K_and_4M_pages()
    {
        using var image = new Image(Legacy, X86Legacy.LevelTable);
        Assert.True(X86Legacy.TryTranslate(image.View, 0, 0x7F_F010, out ulong pa));
        Assert.Equal(0x80_0010UL, pa);
        Assert.True(X86Legacy.TryTranslate(image.View, 0, 0x83_4567, out pa));
        Assert.Equal(0xC3_4567UL, pa);
        Assert.Equal(0x8UL, image.PhysicalOf(X86Legacy.GetEntry(image.View, 0, 0x83_4567)));
        Assert.Equal(0x1FFCUL, image.PhysicalOf(X86Legacy.GetEntry(image.View, 0, 0x7F_F010)));
        Assert.True(X86Legacy.GetEntry(image.View, 0, 0x1_0000_0000) == null);
    }

    // Legacy x86 without PSE: root[2] has PS set but level 2 allows no leaf: it is a table (frame 1).
    private static readonly ImageSpec NoPse = Spec(2,
        Root(2, 0x1000 | PS | 0x67), At(1, 0, 0x5000 | 0x23), At(1, 1, 0x6000 | 0x23));

    [Fact]
    public void X86LegacyNoPse_walk_follows_a_directory_entry_with_PS_set_as_a_table() =>
        AssertWalks<uint, X86LegacyNoPse.Layout>(NoPse, 0x80_0000, 0x80_1000,
            V(0x80_0000, 2, false, 0x8), V(0x80_0000, 1, true, 0x1000), V(0x80_1000, 1, true, 0x1004),
            L(0x80_0000, 2, 0x8));

    [Fact]
    public void X86LegacyNoPse_translates_through_a_directory_entry_with_PS_set()
    {
        using var image = new Image(NoPse, X86LegacyNoPse.LevelTable);
        Assert.True(X86LegacyNoPse.TryTranslate(image.View, 0, 0x80_1234, out ulong pa));
        Assert.Equal(0x6234UL, pa);
        Assert.Equal(0x1004UL, image.PhysicalOf(X86LegacyNoPse.GetEntry(image.View, 0, 0x80_1234)));
    }

    // LA57: root[0] -> L4 (1) -> L3 (2) -> L2 (3); L2[2] -> L1 (4); L1[511] = 4K page; L2[3] = 2 MiB page;
    // root[511] -> L4 (5) whose last entry is a table outside memory.
    private static readonly ImageSpec La57 = Spec(6,
        Root(0, 0x1000 | 0x67), At(1, 0, 0x2000 | 0x67), At(2, 0, 0x3000 | 0x67), At(3, 2, 0x4000 | 0x67),
        At(4, 511, 0x80_0000 | 0x23), At(3, 3, 0x20_0000 | PS | 0x63),
        Root(511, 0x5000 | 0x67), At(5, 511, 0x7_0000_0000 | 0x67));

    [Fact]
    public void X86_64La57_walk_descends_five_levels_and_leaves_them_in_post_order() =>
        AssertWalks<ulong, X86_64La57.Layout>(La57, 0x5F_F000, 0x60_0000,
            V(0, 5, false, 0x0), V(0, 4, false, 0x1000), V(0, 3, false, 0x2000), V(0x40_0000, 2, false, 0x3010),
            V(0x5F_F000, 1, true, 0x4FF8), L(0x40_0000, 2, 0x3010), V(0x60_0000, 2, true, 0x3018),
            L(0, 3, 0x2000), L(0, 4, 0x1000), L(0, 5, 0x0));

    [Fact]
    public void X86_64La57_walk_at_the_top_of_the_space_gives_canonical_addresses_and_skips_a_table_outside_memory() =>
        AssertWalks<ulong, X86_64La57.Layout>(La57, 0xFFFF_FF80_0000_0000, ulong.MaxValue,
            V(0xFF00_0000_0000_0000 | (511UL << 48), 5, false, 0xFF8), V(0xFFFF_FF80_0000_0000, 4, false, 0x5FF8),
            L(0xFFFF_0000_0000_0000, 5, 0xFF8));

    [Fact]
    public void X86_64_a_table_reached_through_two_entries_is_walked_twice_with_each_entrys_addresses()
    {
        // root[0] and root[1] -> the same level-3 table (frame 1), whose entry 0 is a 1 GiB page.
        var spec = Spec(2, Root(0, 0x1000 | 0x67), Root(1, 0x1000 | 0x67), At(1, 0, 0x4000_0000 | PS | 0x63));
        AssertWalks<ulong, X86_64.Layout>(spec, 0x7F_C000_0000, 0x80_0000_0000,
            V(0, 4, false, 0x0), V(0x7F_C000_0000, 3, true, 0x1FF8), L(0, 4, 0x0),
            V(0x80_0000_0000, 4, false, 0x8), V(0x80_0000_0000, 3, true, 0x1000), L(0x80_0000_0000, 4, 0x8));
        using var image = new Image(spec, X86_64.LevelTable);
        Assert.True(X86_64.TryTranslate(image.View, 0, 0x80_0000_1234, out ulong pa));
        Assert.Equal(0x4000_1234UL, pa);
    }

    [Fact]
    public void X86_64_a_self_referencing_root_entry_is_walked_once_per_level_and_the_walk_ends()
    {
        // root[0] -> the root itself (the recursive-mapping trick): the same entry is met at levels 4, 3, 2 and 1.
        var spec = Spec(1, Root(0, 0x0000 | 0x67));
        AssertWalks<ulong, X86_64.Layout>(spec, 0, 0x1FFF,
            V(0, 4, false, 0x0), V(0, 3, false, 0x0), V(0, 2, false, 0x0), V(0, 1, true, 0x0), V(0x1000, 1, true, 0x8),
            L(0, 2, 0x0), L(0, 3, 0x0), L(0, 4, 0x0));
        using var image = new Image(spec, X86_64.LevelTable);
        Assert.Equal(0x0UL, image.PhysicalOf(X86_64.GetEntry(image.View, 0, 0x0)));
        Assert.True(X86_64.TryTranslate(image.View, 0, 0x10, out ulong pa)); // the root page maps itself at va 0
        Assert.Equal(0x10UL, pa);
    }

    // RISC-V Sv39: PPN at bit 10, leaf = any of R/W/X; root[0] a 1 GiB gigapage at the root level,
    // root[1] -> frame 1 whose entry 0 is a 2 MiB megapage.
    private static readonly ImageSpec Sv39Image = Spec(2,
        Root(0, (0x4000_0000 >> 2) | 0x7), Root(1, (0x1000 >> 2) | 0x1), At(1, 0, (0x20_0000 >> 2) | 0xF));

    [Fact]
    public void Sv39_walk_meets_a_leaf_at_the_root_level_and_follows_a_shifted_frame_number()
    {
        AssertWalks<ulong, Sv39.Layout>(Sv39Image, 0x3FFF_F000, 0x4000_0000,
            V(0, 3, true, 0x0), V(0x4000_0000, 3, false, 0x8), V(0x4000_0000, 2, true, 0x1000), L(0x4000_0000, 3, 0x8));
        AssertWalks<ulong, Sv39.Layout>(Sv39Image, 0xFFFF_FFC0_0000_0000, 0xFFFF_FFC0_0000_0000,
            V(0xFFFF_FFC0_0000_0000, 3, true, 0x800));
        using var image = new Image(Sv39Image, Sv39.LevelTable);
        Assert.True(Sv39.TryTranslate(image.View, 0, 0x1234_5678, out ulong pa));
        Assert.Equal(0x5234_5678UL, pa);
        Assert.True(Sv39.TryTranslate(image.View, 0, 0x4001_2345, out pa));
        Assert.Equal(0x21_2345UL, pa);
        Assert.Equal(0x0UL, image.PhysicalOf(Sv39.GetEntry(image.View, 0, 0x1234_5678)));
    }

    // AArch64 4K granule, 48-bit, lower half: descriptors 0b11 = table, 0b01 = block. root[0] -> frame 1;
    // frame 1: [0] a 1 GiB block, [1] -> frame 2; frame 2: [0] a 2 MiB block.
    private static readonly ImageSpec AArch64 = Spec(3,
        Root(0, 0x1000 | 0x3), At(1, 0, 0x4000_0000 | 0x1), At(1, 1, 0x2000 | 0x3), At(2, 0, 0x60_0000 | 0x401));

    [Fact]
    public void Arm64_4K_48_walk_tells_table_from_block_descriptors_by_bit_1()
    {
        AssertWalks<ulong, Arm64_4K_48.Layout>(AArch64, 0x3FFF_F000, 0x4000_0000,
            V(0, 4, false, 0x0), V(0, 3, true, 0x1000), V(0x4000_0000, 3, false, 0x1008), V(0x4000_0000, 2, true, 0x2000),
            L(0x4000_0000, 3, 0x1008), L(0, 4, 0x0));
        using var image = new Image(AArch64, Arm64_4K_48.LevelTable);
        Assert.True(Arm64_4K_48.Layout.TryTranslate(image.View, 0, 0x3000_0001, out ulong pa));
        Assert.Equal(0x7000_0001UL, pa);
        Assert.True(Arm64_4K_48.Layout.TryTranslate(image.View, 0, 0x4001_0000, out pa));
        Assert.Equal(0x61_0000UL, pa);
        Assert.False(Arm64_4K_48.Layout.TryTranslate(image.View, 0, 0x1_0000_0000_0000, out _)); // beyond 48 bits
    }

    [Theory]
    [InlineData(0x2000UL, 0x1FFFUL)]
    [InlineData(ulong.MaxValue, 0UL)]
    [InlineData(0x60_0001UL, 0x60_0000UL)] // from > to inside one page: rounding from down does not make it a range
    public void A_range_whose_from_is_above_its_to_makes_no_call_and_returns_0(ulong from, ulong to) =>
        AssertWalks<ulong, X86_64.Layout>(X64, from, to);

    [Fact]
    public void Walks_through_OffsetMemory_see_the_same_entries_as_through_FlatMemory()
    {
        using var image = new Image(X64, X86_64.LevelTable);
        var offset = new OffsetMemory((nuint)image.View.Base, image.View.Length);
        var flat = new Session<ulong>(image, X86_64.LevelTable, VisitorPolicy.None);
        var f = new SessionVisitor<ulong>(flat);
        X86_64.WalkTree(image.View, 0, 0, ulong.MaxValue, ref f);
        var mapped = new Session<ulong>(image, X86_64.LevelTable, VisitorPolicy.None);
        var m = new SessionVisitor<ulong>(mapped);
        X86_64.WalkTree(offset, 0, 0, ulong.MaxValue, ref m);
        var reference = new Session<ulong>(image, X86_64.LevelTable, VisitorPolicy.None);
        var r = new SessionVisitor<ulong>(reference);
        ReferenceWalker.WalkTree<ulong, OffsetMemory, SessionVisitor<ulong>>(X86_64.LevelTable, offset, 0, 0, ulong.MaxValue, ref r);
        Assert.Equal(flat.Calls, mapped.Calls);
        Assert.Equal(flat.Calls, reference.Calls);
        Assert.Equal(512 * 4 + 3, flat.Calls.Count); // four tables of 512 entries, three of them left again
        Assert.True(X86_64.TryTranslate(offset, 0, 0x61_2345, out ulong pa));
        Assert.Equal(0x21_2345UL, pa);
    }
}
