using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using CsCheck;
using Walkers.Tests.Support;

namespace Walkers.Tests.Differential;

/// <summary>
/// The generated direct descents (<c>GetEntry</c>, <c>TryTranslate</c>) against answers computed from a walk of
/// [va, va]: the seed's <c>get_pgt_func</c> visitor, and the translation through the walk's last leaf.
/// </summary>
public sealed unsafe class LookupDifferentialTests
{
    public const int Iterations = 300;

    private static Gen<ulong> Va(LevelTable layout) =>
        Gen.Frequency((6, ImageGen.Address(layout)), (1, Gen.ULong));

    /// <summary>
    /// Addresses to look up: half random, half inside leaves a reference walk of the whole space found present
    /// (so lookups that succeed, through huge pages too, are common).
    /// </summary>
    private static Gen<(ImageSpec Image, ulong[] Random, ulong[] Pickers)> Case(LevelTable layout) =>
        Gen.Select(ImageGen.Image(layout), Va(layout).Array[8], Gen.ULong.Array[8]);

    private static List<ulong> Addresses<TEntry>(LevelTable layout, Image image, ulong[] random, ulong[] pickers)
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    {
        var leaves = new LeafCollector<TEntry>(layout);
        ReferenceWalker.Walk<TEntry, FlatMemory, LeafCollector<TEntry>>(layout, image.View, image.Root, 0, ulong.MaxValue, ref leaves);
        var result = new List<ulong>(random);
        if (leaves.Found.Count > 0)
        {
            foreach (ulong p in pickers)
            {
                var (va, level) = leaves.Found[(int)(p % (ulong)leaves.Found.Count)];
                result.Add(va + ((p >> 32) & (layout[level].PageSize - 1)));
            }
        }
        return result;
    }

    /// <summary>The first few thousand present leaves of a walk.</summary>
    private struct LeafCollector<TEntry>(LevelTable layout) : IPageTableVisitor<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    {
        public readonly List<(ulong Va, int Level)> Found = new();

        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            if (isLeaf && layout.Kind(ulong.CreateTruncating(*entry), level) == EntryKind.Leaf)
                Found.Add((va, level));
            return Found.Count < 4096 ? 0 : 1;
        }
    }

    /// <summary>mini-os get_pgt_func: stop (-1) at an absent entry above level 1; remember a leaf.</summary>
    private struct GetPgtVisitor<TEntry>(LevelTable layout) : IPageTableVisitor<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    {
        public TEntry* Result;

        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            if (!layout.IsPresent(ulong.CreateTruncating(*entry)) && level > 1)
                return -1;
            if (level > 1 && !isLeaf) // the seed tests _PAGE_PSE; isLeaf is the walker's form of it
                return 0;
            Result = entry;
            return 0;
        }
    }

    /// <summary>Remembers the last leaf of a walk over one address.</summary>
    private struct LastLeafVisitor<TEntry> : IPageTableVisitor<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    {
        public ulong Entry;
        public int Level;

        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            if (isLeaf)
            {
                Entry = ulong.CreateTruncating(*entry);
                Level = level;
            }
            return 0;
        }
    }

    [Theory]
    [MemberData(nameof(LayoutCases.All), MemberType = typeof(LayoutCases))]
    public void GetEntry_returns_the_entry_the_seed_get_pgt_visitor_finds(string layout) =>
        LayoutCases.Run(layout, new GetEntryProperty());

    private sealed class GetEntryProperty : ILayoutTest
    {
        public void Run<TEntry, TLayout>()
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
            where TLayout : struct, IPageTableLayout<TEntry>
        {
            var levels = TLayout.LevelTable;
            int found = 0;
            Case(levels).Sample((spec, random, pickers) =>
            {
                using var image = new Image(spec, levels);
                foreach (ulong va in Addresses<TEntry>(levels, image, random, pickers))
                {
                    // GetEntry ignores a top-byte tag (TBI) as the hardware does; a walk's range is of untagged addresses.
                    ulong linear = TLayout.Untag(va);
                    var byReference = new GetPgtVisitor<TEntry>(levels);
                    ReferenceWalker.Walk<TEntry, FlatMemory, GetPgtVisitor<TEntry>>(levels, image.View, image.Root, linear, linear, ref byReference);
                    var byWalk = new GetPgtVisitor<TEntry>(levels);
                    TLayout.Walk(image.View, image.Root, linear, linear, ref byWalk);
                    TEntry* direct = TLayout.GetEntry(image.View, image.Root, va);
                    Assert.True(byReference.Result == byWalk.Result, $"va 0x{va:x}: the walks disagree; {spec}");
                    Assert.True(direct == byWalk.Result,
                        $"va 0x{va:x}: GetEntry gave @0x{(direct == null ? 0 : image.PhysicalOf(direct)):x}, the walk @0x{(byWalk.Result == null ? 0 : image.PhysicalOf(byWalk.Result)):x}; {spec}");
                    if (direct != null) System.Threading.Interlocked.Increment(ref found);
                }
            }, iter: Iterations);
            Assert.True(found > Iterations, $"GetEntry found an entry only {found} times: the images are too sparse to mean much");
        }
    }

    [Theory]
    [MemberData(nameof(LayoutCases.All), MemberType = typeof(LayoutCases))]
    public void TryTranslate_agrees_with_the_leaf_a_walk_of_the_address_ends_on(string layout) =>
        LayoutCases.Run(layout, new TranslateProperty());

    private sealed class TranslateProperty : ILayoutTest
    {
        public void Run<TEntry, TLayout>()
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
            where TLayout : struct, IPageTableLayout<TEntry>
        {
            var levels = TLayout.LevelTable;
            int translated = 0, huge = 0;
            Case(levels).Sample((spec, random, pickers) =>
            {
                using var image = new Image(spec, levels);
                foreach (ulong va in Addresses<TEntry>(levels, image, random, pickers))
                {
                    var leaf = new LastLeafVisitor<TEntry>();
                    ReferenceWalker.Walk<TEntry, FlatMemory, LastLeafVisitor<TEntry>>(levels, image.View, image.Root, va, va, ref leaf);
                    bool expected = leaf.Level != 0 && levels.Kind(leaf.Entry, leaf.Level) == EntryKind.Leaf; // faults translate nothing
                    ulong expectedPa = 0;
                    if (expected)
                    {
                        ulong size = levels[leaf.Level].PageSize;
                        expectedPa = (levels.EntryAddress(leaf.Entry) & ~(size - 1)) | (va & (size - 1));
                    }
                    bool actual = TLayout.TryTranslate(image.View, image.Root, va, out ulong pa);
                    Assert.True(expected == actual, $"va 0x{va:x}: walk says {(expected ? "mapped" : "not mapped")}, TryTranslate {actual}; {spec}");
                    Assert.True(expectedPa == pa, $"va 0x{va:x}: walk gives 0x{expectedPa:x}, TryTranslate 0x{pa:x}; {spec}");
                    if (actual) System.Threading.Interlocked.Increment(ref translated);
                    if (actual && leaf.Level > 1) System.Threading.Interlocked.Increment(ref huge);
                }
            }, iter: Iterations);
            Assert.True(translated > Iterations / 2, $"only {translated} translations succeeded");
            if (levels.Rows.Skip(1).Any(r => r.LeafAllowed))
                Assert.True(huge > Iterations / 10, $"only {huge} translations went through a huge page");
        }
    }
}
