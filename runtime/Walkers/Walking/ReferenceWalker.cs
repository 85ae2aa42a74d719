using System;
using System.Numerics;

namespace Walkers;

/// <summary>
/// The mini-os <c>walk_pt</c> algorithm, table-driven over a <see cref="LevelTable"/> known only at run time:
/// one loop, a level variable, per-level index and table arrays. It is the oracle the generated walkers are
/// tested against and the baseline they are measured against, and serves layouts chosen at run time.
/// </summary>
/// <remarks>
/// Deliberate differences from the patch, shared with the generated walkers:
/// <list type="number">
/// <item>After a leaf (huge or absent) entry, <c>va</c> moves to the start of the next entry's region. The
/// patch adds the entry size to an unaligned <c>va</c>, so <c>walk_pt(0x1000, 0x200000)</c> never visits the
/// 2 MiB entry at 0x200000.</item>
/// <item>For sign-extending layouts the visitor gets canonical addresses, and a walk across the whole
/// space visits the low half, then the high half, never the non-canonical hole.</item>
/// <item>At a level that allows no leaf (x86-64 level 4, PAE level 3) a present entry is a table whatever
/// its huge bit says, as the hardware and QEMU treat it; the patch would stop there.</item>
/// <item>A table outside memory is not followed; the visitor saw its entry with <c>isLeaf == false</c>.</item>
/// <item><see cref="WalkControl.SkipSubtree"/> and the post-order <c>Leave</c> call (tree walks only).</item>
/// </list>
/// </remarks>
public static unsafe class ReferenceWalker
{
    private const int MaxLevels = 5;

    /// <summary>Walks [from, to] like the generated <c>Walk</c>.</summary>
    public static int Walk<TEntry, TMemory, TVisitor>(LevelTable layout, TMemory memory, ulong root, ulong from, ulong to, ref TVisitor visitor)
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TMemory : struct, IPhysicalMemory
        where TVisitor : IPageTableVisitor<TEntry>, allows ref struct
    {
        var tree = new WithoutLeave<TEntry, TVisitor>(visitor);
        int result = WalkTree<TEntry, TMemory, WithoutLeave<TEntry, TVisitor>>(layout, memory, root, from, to, ref tree);
        visitor = tree.Inner;
        return result;
    }

    /// <summary>Walks [from, to] like the generated <c>WalkTree</c>.</summary>
    public static int WalkTree<TEntry, TMemory, TVisitor>(LevelTable layout, TMemory memory, ulong root, ulong from, ulong to, ref TVisitor visitor)
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TMemory : struct, IPhysicalMemory
        where TVisitor : IPageTableTreeVisitor<TEntry>, allows ref struct
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (sizeof(TEntry) != layout.EntryBytes)
            throw new ArgumentException($"The layout has {layout.EntryBits}-bit entries, not {sizeof(TEntry) * 8}-bit.", nameof(layout));
        if (!VirtualRange.TryClip(layout.VirtualAddressBits, layout.Half, ref from, ref to))
            return 0;

        int top = layout.Levels;
        Span<nint> table = stackalloc nint[MaxLevels + 1];
        Span<uint> index = stackalloc uint[MaxLevels + 1];

        ulong va = from & ~((1UL << layout.PageShift) - 1);
        ulong last = to;
        int lvl = top;
        table[lvl] = (nint)memory.At(root, layout.TableBytes(lvl));
        if (table[lvl] == 0)
            return 0;
        index[lvl] = IndexOf(layout, va, lvl);

        while (true)
        {
            TEntry* pte = (TEntry*)table[lvl] + index[lvl];
            ulong vaLevel = va & ~(layout[lvl].PageSize - 1);
            bool isLeaf = layout.IsLeaf(ulong.CreateTruncating(*pte), lvl);
            int ret = visitor.Visit(layout.Canonical(vaLevel), lvl, isLeaf, pte);
            bool descend = false;
            if (ret == WalkControl.SkipSubtree)
                ret = 0;
            else if (ret != 0)
                return ret;
            else
            {
                // The visitor may have changed the entry: decide again.
                ulong entry = ulong.CreateTruncating(*pte);
                if (!layout.IsLeaf(entry, lvl))
                {
                    nint next = (nint)memory.At(layout.EntryAddress(entry), layout.TableBytes(lvl - 1));
                    if (next != 0)
                    {
                        lvl--;
                        table[lvl] = next;
                        index[lvl] = IndexOf(layout, va, lvl);
                        descend = true;
                    }
                }
            }
            if (descend)
                continue;

            // A leaf (or an entry not followed): on to the start of the next entry's region.
            va = vaLevel + layout[lvl].PageSize;
            index[lvl]++;
            bool pastEnd = va - 1 >= last; // also true when va wrapped past the top of the space
            while (index[lvl] == layout[lvl].Entries || pastEnd)
            {
                if (lvl == top)
                    return 0;
                // Leaving this table: the entry above it is done.
                lvl++;
                TEntry* parent = (TEntry*)table[lvl] + index[lvl];
                ulong parentVa = vaLevel & ~(layout[lvl].PageSize - 1);
                vaLevel = parentVa;
                ret = visitor.Leave(layout.Canonical(parentVa), lvl, parent);
                if (ret != 0 && ret != WalkControl.SkipSubtree)
                    return ret;
                index[lvl]++;
            }
        }
    }

    private static uint IndexOf(LevelTable layout, ulong va, int level) =>
        (uint)(va >> layout[level].Shift) & (uint)(layout[level].Entries - 1);
}
