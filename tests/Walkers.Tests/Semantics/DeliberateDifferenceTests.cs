using System;
using System.Linq;
using Walkers.Layouts;
using Walkers.Tests.Support;
using static Walkers.Tests.Semantics.HandBuilt;

namespace Walkers.Tests.Semantics;

/// <summary>
/// Where the walkers deliberately differ from the mini-os patch (DESIGN.md, "Walk semantics"). Each test runs
/// the generated and the reference walker, and, where the patch can run at all, a port of the patch to show
/// that it behaves differently.
/// </summary>
public sealed unsafe class DeliberateDifferenceTests
{
    // (a) -----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(0UL)]                     // L2[0] absent
    [InlineData(0x4000_0000 | PS | 0x63)] // L2[0] a 2 MiB page
    public void A_walk_from_an_unaligned_start_realigns_after_a_huge_or_absent_entry_and_visits_the_2M_page_at_0x200000(ulong firstL2)
    {
        // L4[0] -> L3 (frame 1), L3[0] -> L2 (frame 2), L2[0] = firstL2, L2[1] = 2 MiB page at va 0x200000.
        var spec = Spec(3, Root(0, 0x1000 | 0x67), At(1, 0, 0x2000 | 0x67), At(2, 0, firstL2), At(2, 1, 0x60_0000 | PS | 0x63));
        AssertWalks<ulong, X86_64.Layout>(spec, 0x1000, 0x20_0000,
            V(0, 4, false, 0x0), V(0, 3, false, 0x1000), V(0, 2, true, 0x2000), V(0x20_0000, 2, true, 0x2008),
            L(0, 3, 0x1000), L(0, 4, 0x0));

        // The patch: va = 0x1000 + 2 MiB = 0x201000 is past to | 0xfff = 0x200fff, so L2[1] is never visited.
        var seed = Seed<ulong, X86_64.Layout>(spec, 0x1000, 0x20_0000);
        Assert.Equal(new[] { V(0, 4, false, 0x0), V(0, 3, false, 0x1000), V(0, 2, true, 0x2000) }, seed);
    }

    // (b) -----------------------------------------------------------------------------------------------

    [Fact]
    public void B_X86_64_walk_over_the_whole_space_visits_the_low_half_then_the_high_half_canonically_never_the_hole()
    {
        // L4[0], L4[256] and L4[511] -> empty level-3 tables (frames 1, 2, 3); L3 (frame 3)[511] = 1 GiB page.
        var spec = Spec(4, Root(0, 0x1000 | 0x67), Root(256, 0x2000 | 0x67), Root(511, 0x3000 | 0x67), At(3, 511, 0x4000_0000 | PS | 0x63));
        var range = new WalkRange(0, ulong.MaxValue, "everything");
        foreach (var outcome in new[]
        {
            WalkRunner.Generated<ulong, X86_64.Layout>(spec, range, VisitorPolicy.None, tree: false),
            WalkRunner.Reference<ulong, X86_64.Layout>(spec, range, VisitorPolicy.None, tree: false),
        })
        {
            Assert.Equal(512 + 3 * 512, outcome.Calls.Count);
            var top = outcome.Calls.Where(c => c.Level == 4).Select(c => c.Va).ToArray();
            var expectedTop = Enumerable.Range(0, 512)
                .Select(i => i < 256 ? (ulong)i << 39 : 0xFFFF_0000_0000_0000 | ((ulong)i << 39)).ToArray();
            Assert.Equal(expectedTop, top);
            Assert.All(outcome.Calls, c => Assert.True(IsCanonical48(c.Va), $"0x{c.Va:x} is not canonical"));
            Assert.Equal(V(0xFFFF_FFFF_C000_0000, 3, true, 0x3FF8), outcome.Calls[^1]);
            // Low half strictly before the high half.
            int firstHigh = outcome.Calls.FindIndex(c => c.Va >= 0xFFFF_8000_0000_0000);
            Assert.True(outcome.Calls.Skip(firstHigh).All(c => c.Va >= 0xFFFF_8000_0000_0000));
            Assert.Equal(0, outcome.Result);
        }

        // The patch hands the visitor linear, non-canonical addresses for the high half.
        var seed = Seed<ulong, X86_64.Layout>(spec, 0, ulong.MaxValue);
        Assert.Contains(seed, c => c.Level == 4 && c.Va == 0x8000_0000_0000);
    }

    [Fact]
    public void B_X86_64_walk_across_the_hole_visits_the_last_low_and_first_high_entries_only()
    {
        var spec = Spec(1);
        AssertWalks<ulong, X86_64.Layout>(spec, 0x7FFF_FFFF_F000, 0xFFFF_8000_0000_0FFF,
            V(0x7F80_0000_0000, 4, true, 0x7F8), V(0xFFFF_8000_0000_0000, 4, true, 0x800));
        AssertWalks<ulong, X86_64.Layout>(spec, 0x8000_0000_0000, 0xFFFF_7FFF_FFFF_FFFF); // only the hole: no call
        AssertWalks<ulong, X86_64.Layout>(spec, 0x9000_0000_0000, 0xFFFF_8000_0000_0000,  // from inside the hole
            V(0xFFFF_8000_0000_0000, 4, true, 0x800));
        AssertWalks<ulong, X86_64.Layout>(spec, 0x7FFF_FFFF_FFFF, 0x9000_0000_0000,       // to inside the hole
            V(0x7F80_0000_0000, 4, true, 0x7F8));
    }

    [Fact]
    public void B_X86_64La57_walk_over_the_whole_space_visits_the_low_half_then_the_high_half_canonically()
    {
        var spec = Spec(1);
        var range = new WalkRange(0, ulong.MaxValue, "everything");
        var generated = WalkRunner.Generated<ulong, X86_64La57.Layout>(spec, range, VisitorPolicy.None, tree: false);
        var reference = WalkRunner.Reference<ulong, X86_64La57.Layout>(spec, range, VisitorPolicy.None, tree: false);
        var expected = Enumerable.Range(0, 512)
            .Select(i => V(i < 256 ? (ulong)i << 48 : 0xFE00_0000_0000_0000 | ((ulong)i << 48), 5, true, (ulong)i * 8)).ToList();
        Assert.Equal(expected, generated.Calls);
        Assert.Equal(expected, reference.Calls);
    }

    private static bool IsCanonical48(ulong va) => (ulong)((long)(va << 16) >> 16) == va;

    // (c) -----------------------------------------------------------------------------------------------

    [Fact]
    public void C_X86_64_level_4_entry_with_the_huge_bit_is_followed_as_a_table()
    {
        // L4[0] has PS set (reserved at level 4): hardware and QEMU ignore it there, so does the walker.
        var spec = Spec(3, Root(0, 0x1000 | PS | 0x67), At(1, 0, 0x2000 | 0x67), At(2, 0, 0x4000_0000 | PS | 0x63));
        AssertWalks<ulong, X86_64.Layout>(spec, 0, 0x1F_FFFF,
            V(0, 4, false, 0x0), V(0, 3, false, 0x1000), V(0, 2, true, 0x2000), L(0, 3, 0x1000), L(0, 4, 0x0));
        using (var image = new Image(spec, X86_64.LevelTable))
        {
            Assert.True(X86_64.TryTranslate(image.View, 0, 0x1234, out ulong pa));
            Assert.Equal(0x4000_1234UL, pa);
            Assert.Equal(0x2000UL, image.PhysicalOf(X86_64.GetEntry(image.View, 0, 0x1234)));
        }

        // The patch stops at the level-4 entry: its PSE bit makes it a leaf.
        Assert.Equal(new[] { V(0, 4, true, 0x0) }, Seed<ulong, X86_64.Layout>(spec, 0, 0x1F_FFFF));
    }

    [Fact]
    public void C_X86Pae_level_3_entry_with_the_huge_bit_is_followed_as_a_table()
    {
        var spec = Spec(2, Root(0, 0x1000 | PS | P), At(1, 1, 0x60_0000 | PS | 0x63));
        AssertWalks<ulong, X86Pae.Layout>(spec, 0x20_0000, 0x20_0000,
            V(0, 3, false, 0x0), V(0x20_0000, 2, true, 0x1008), L(0, 3, 0x0));
        using var image = new Image(spec, X86Pae.LevelTable);
        Assert.True(X86Pae.TryTranslate(image.View, 0, 0x20_0042, out ulong pa));
        Assert.Equal(0x60_0042UL, pa);
    }

    [Fact]
    public void C_X86LegacyNoPse_directory_entry_with_PS_set_is_followed_as_a_table()
    {
        var spec = Spec(2, Root(0, 0x1000 | PS | 0x67), At(1, 0, 0x9000 | 0x23));
        AssertWalks<uint, X86LegacyNoPse.Layout>(spec, 0, 0x1000,
            V(0, 2, false, 0x0), V(0, 1, true, 0x1000), V(0x1000, 1, true, 0x1004), L(0, 2, 0x0));
        Assert.Equal(new[] { V(0, 2, true, 0x0) }, Seed<uint, X86LegacyNoPse.Layout>(spec, 0, 0x1000));
    }

    // (d) -----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(0x10_0000UL)]              // far past the end of the 3-frame memory
    [InlineData(0x3000UL)]                 // the first frame past the end
    [InlineData(0x000F_FFFF_FFFF_F000UL)]  // the highest address an entry can hold
    public void D_a_table_outside_memory_is_not_followed_and_the_visitor_sees_its_entry_as_not_a_leaf(ulong outside)
    {
        const ulong G512 = 1UL << 39, G1 = 1UL << 30;
        var spec = new ImageSpec(0, 3, 0, 0, new[]
        {
            Root(0, outside | 0x67),                           // level 4 -> outside
            Root(1, 0x1000 | 0x67), At(1, 0, outside | 0x67),  // level 3 -> outside
            At(1, 1, 0x2000 | 0x67), At(2, 0, outside | 0x67), // level 2 (leaf-capable) -> outside: a table, not a 2 MiB page
            At(2, 1, 0x20_0000 | PS | 0x63),                   // a real 2 MiB page next to it: isLeaf tells them apart
        });
        AssertWalks<ulong, X86_64.Layout>(spec, 0, G512,
            V(0, 4, false, 0x0), V(G512, 4, false, 0x8), V(G512, 3, false, 0x1000), L(G512, 4, 0x8));
        AssertWalks<ulong, X86_64.Layout>(spec, G512 + G1, G512 + G1 + 0x20_0000,
            V(G512, 4, false, 0x8), V(G512 + G1, 3, false, 0x1008),
            V(G512 + G1, 2, false, 0x2000), V(G512 + G1 + 0x20_0000, 2, true, 0x2008),
            L(G512 + G1, 3, 0x1008), L(G512, 4, 0x8));

        using var image = new Image(spec, X86_64.LevelTable);
        foreach (ulong va in new[] { 0x1234UL, G512 + 0x1234, G512 + G1 + 0x1234 })
        {
            Assert.False(X86_64.TryTranslate(image.View, 0, va, out _));
            Assert.True(X86_64.GetEntry(image.View, 0, va) == null);
        }
        Assert.True(X86_64.TryTranslate(image.View, 0, G512 + G1 + 0x20_0000, out ulong pa));
        Assert.Equal(0x20_0000UL, pa);
    }

    [Fact]
    public void D_a_table_partly_outside_a_flat_memory_is_not_followed()
    {
        // L4[0] -> frame 1, the last frame; the memory the walker gets ends 8 bytes before that frame does.
        var spec = new ImageSpec(0, 2, 0, 0, new[] { Root(0, 0x1000 | 0x67), At(1, 0, 0x20_0000 | PS | 0x63) });
        using var image = new Image(spec, X86_64.LevelTable);
        var shortened = new FlatMemory(image.View.Base, 0, 0x2000 - 8);
        var whole = Record<FlatMemory>(image, image.View);
        var cut = Record<FlatMemory>(image, shortened);
        Assert.Equal(new[] { V(0, 4, false, 0x0), V(0, 3, true, 0x1000) }, whole.Take(2)); // a 1 GiB page
        Assert.Equal(new[] { V(0, 4, false, 0x0), V(1UL << 39, 4, true, 0x8) }, cut.Take(2));
        Assert.Equal(512, cut.Count);
        Assert.False(X86_64.TryTranslate(shortened, 0, 0, out _));
        Assert.True(X86_64.TryTranslate(image.View, 0, 0, out _));
    }

    [Fact]
    public void D_a_table_straddling_two_segments_is_not_followed_even_when_they_are_adjacent()
    {
        var spec = new ImageSpec(0, 2, 0, 0, new[] { Root(0, 0x1000 | 0x67), At(1, 0, 0x20_0000 | PS | 0x63) });
        using var image = new Image(spec, X86_64.LevelTable);
        var split = new SegmentedMemory(new[]
        {
            new FlatMemory(image.View.Base, 0, 0x1800),
            new FlatMemory(image.View.Base + 0x1800, 0x1800, 0x800),
        });
        var calls = Record<SegmentedMemory>(image, split);
        Assert.Equal(V(0, 4, false, 0x0), calls[0]);
        Assert.Equal(512, calls.Count); // only the root's entries: the level-3 table is not one block
        Assert.False(X86_64.TryTranslate(split, 0, 0, out _));
    }

    /// <summary>Generated and reference Walk over [0, 2^64-1] in <paramref name="memory"/>; asserts they agree.</summary>
    private static System.Collections.Generic.List<Call> Record<TMemory>(Image image, TMemory memory)
        where TMemory : struct, IPhysicalMemory
    {
        var generated = new Session<ulong>(image, X86_64.LevelTable, VisitorPolicy.None);
        var g = new SessionVisitor<ulong>(generated);
        Assert.Equal(0, X86_64.Walk(memory, image.Root, 0, ulong.MaxValue, ref g));
        var reference = new Session<ulong>(image, X86_64.LevelTable, VisitorPolicy.None);
        var r = new SessionVisitor<ulong>(reference);
        Assert.Equal(0, ReferenceWalker.Walk<ulong, TMemory, SessionVisitor<ulong>>(X86_64.LevelTable, memory, image.Root, 0, ulong.MaxValue, ref r));
        Assert.Equal(reference.Calls, generated.Calls);
        return generated.Calls;
    }
}
