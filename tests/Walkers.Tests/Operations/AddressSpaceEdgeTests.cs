using System.Numerics;

namespace Walkers.Tests.Operations;

/// <summary>
/// The ends of the address space, on every layout: the very top page (va + size = 2^64), the last page below
/// the non-canonical hole, and huge pages ending at 2^64 split by Unmap; afterwards FreeEmptyTables gives
/// back every table.
/// </summary>
public sealed class AddressSpaceEdgeTests
{
    [Theory]
    [MemberData(nameof(OperationLayouts.All), MemberType = typeof(OperationLayouts))]
    public void Map_translate_unmap_and_protect_at_the_top_of_the_space_and_below_the_hole(string layout) =>
        OperationLayouts.Run(layout, new Edges());

    private sealed class Edges : IOperationsTest
    {
        public void Run<TLayout, TEntry>()
            where TLayout : struct, IPageTableLayout<TEntry>
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        {
            ulong page = 1UL << TLayout.PageShift;
            int bits = TLayout.VirtualAddressBits;
            bool signExtended = TLayout.Half == AddressHalf.SignExtended, upper = TLayout.Half == AddressHalf.High;
            ulong top = signExtended || upper ? 0 - page : (1UL << bits) - page; // the last page of the space
            // The last page below the hole; for an upper half, its first page.
            ulong belowHole = signExtended ? (1UL << (bits - 1)) - page : upper ? 0 - (1UL << bits) : top;
            ulong flags = TLayout.Prot(1) | TLayout.PresentMask;
            const ulong Frame = 0x40_0000;
            using var space = new Space<TLayout, TEntry>(4096);

            foreach (ulong va in new[] { top, belowHole, top - 7 * page })
            {
                space.Map(va, Frame, page, flags, MapOptions.Overwrite).ThrowIfFailed();
                Assert.Equal(Frame + 0x123, space.Translate(va + 0x123));
            }
            Assert.Contains(space.Mappings(0, ulong.MaxValue), m => m.VirtualAddress == top && m.LastAddress == top + (page - 1));
            ulong[] vas = [top + 5, belowHole + 6, top - 7 * page, top + 7];
            var pas = new ulong[vas.Length];
            Assert.Equal(4, PageTables<TLayout, TEntry>.TranslateMany(space.View, space.Root, vas, pas));
            Assert.Equal([Frame + 5, Frame + 6, Frame, Frame + 7], pas);

            for (int level = 2; level <= TLayout.Levels; level++)
            {
                if (!TLayout.LeafAllowed(level))
                    continue;
                ulong size = TLayout.PageSize(level);
                ulong va = top + page - size; // a huge page ending at the top
                space.Map(va, size, size, flags, MapOptions.Overwrite).ThrowIfFailed();
                Assert.Equal(size + size - 1, space.Translate(top + page - 1));
                space.Unmap(top, page, UnmapOptions.FreeEmptyTables).ThrowIfFailed(); // splits it down to the last page
                Assert.Null(space.Translate(top));
                Assert.Equal(size + size - page - 1, space.Translate(top - 1));
                space.Protect(va, size, 0, 0).ThrowIfFailed();
            }

            ulong half = signExtended ? 1UL << (bits - 1) : 1UL << bits;
            if (!upper)
                space.Unmap(0, half, UnmapOptions.FreeEmptyTables).ThrowIfFailed();
            if (signExtended || upper)
                space.Unmap(0 - half, half, UnmapOptions.FreeEmptyTables).ThrowIfFailed();
            Assert.Empty(space.Mappings(0, ulong.MaxValue));
            Assert.Equal(space.Baseline, space.Memory.TablesInUse);
        }
    }
}
