using System.Numerics;
using CsCheck;
using Walkers.Tests.Support;

namespace Walkers.Tests.Differential;

/// <summary>
/// The generated layout's constants and predicates against its own <see cref="LevelTable"/>: the reference walker
/// reads the table, the generated walker the constants, so a differential walk test only means something if
/// both describe the same layout.
/// </summary>
public sealed class LayoutTableDifferentialTests
{
    [Theory]
    [MemberData(nameof(LayoutCases.All), MemberType = typeof(LayoutCases))]
    public void Generated_constants_equal_the_level_table_row_by_row(string layout) =>
        LayoutCases.Run(layout, new Constants());

    private sealed class Constants : ILayoutTest
    {
        public unsafe void Run<TEntry, TLayout>()
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
            where TLayout : struct, IPageTableLayout<TEntry>
        {
            var table = TLayout.LevelTable;
            Assert.Equal(table.Levels, TLayout.Levels);
            Assert.Equal(table.VirtualAddressBits, TLayout.VirtualAddressBits);
            Assert.Equal(table.Half, TLayout.Half);
            Assert.Equal(table.PageShift, TLayout.PageShift);
            Assert.Equal(table.PresentMask, TLayout.PresentMask);
            Assert.Equal(table.AddressMask, TLayout.AddressMask);
            Assert.Equal(table.EntryBytes, sizeof(TEntry));
            for (int level = 1; level <= table.Levels; level++)
            {
                var row = table[level];
                Assert.Equal(row.Shift, TLayout.Shift(level));
                Assert.Equal(row.Entries, TLayout.Entries(level));
                Assert.Equal(row.Prot, TLayout.Prot(level));
                Assert.Equal(row.PageSize, TLayout.PageSize(level));
                Assert.Equal(table.TableBytes(level), TLayout.TableBytes(level));
                Assert.Equal(row.LeafAllowed, TLayout.LeafAllowed(level));
            }
        }
    }

    [Theory]
    [MemberData(nameof(LayoutCases.All), MemberType = typeof(LayoutCases))]
    public void Generated_predicates_agree_with_the_level_table_on_random_entries_and_addresses(string layout) =>
        LayoutCases.Run(layout, new Predicates());

    private sealed class Predicates : ILayoutTest
    {
        public void Run<TEntry, TLayout>()
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
            where TLayout : struct, IPageTableLayout<TEntry>
        {
            var table = TLayout.LevelTable;
            ulong entryMask = table.EntryBits == 64 ? ulong.MaxValue : uint.MaxValue;
            var entry = Gen.Frequency((3, Gen.ULong), (1, Gen.ULong.Select(e => e & 0xFFF))).Select(e => e & entryMask);
            var va = Gen.Frequency((1, Gen.ULong), (2, ImageGen.Address(table)));
            Gen.Select(entry, va, Gen.ULong).Sample((e, v, flags) =>
            {
                Assert.Equal(table.IsPresent(e), TLayout.IsPresent(e));
                Assert.Equal(table.EntryAddress(e), TLayout.EntryAddress(e));
                Assert.Equal(table.RootFromRegister(e), TLayout.RootFromRegister(e));
                for (int level = 1; level <= table.Levels; level++)
                {
                    Assert.Equal(table.Kind(e, level), TLayout.Kind(e, level));
                    Assert.Equal(table.IsLeaf(e, level), TLayout.IsLeaf(e, level));
                    Assert.Equal(table.LeafFlags(flags & ~table.AddressMask, level), TLayout.LeafFlags(flags & ~table.AddressMask, level));
                    Assert.Equal(table.PageFlags(flags & ~table.AddressMask, level), TLayout.PageFlags(flags & ~table.AddressMask, level));
                    var above = new InheritedFlags(v, flags);
                    Assert.Equal(table.Inherit(above, e, level), TLayout.Inherit(above, e, level));
                }
                Assert.Equal(table.Canonical(v & ((1UL << table.VirtualAddressBits) - 1)), TLayout.Canonical(v & ((1UL << table.VirtualAddressBits) - 1)));
                Assert.Equal(table.IsCanonical(v), TLayout.IsCanonical(v));
                Assert.Equal(table.Untag(v), TLayout.Untag(v));
                // MakeEntry keeps the address fields and the flags outside them.
                ulong made = TLayout.MakeEntry(e, flags);
                Assert.Equal(table.MakeEntry(e, flags), made);
                Assert.Equal(table.EntryAddress(table.MakeEntry(e, 0)), TLayout.EntryAddress(made));
                Assert.Equal(flags & ~table.AddressMask, made & ~table.AddressMask);
            }, iter: 2000);
        }
    }
}
