using System;
using System.Numerics;
using System.Runtime.CompilerServices;

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

        // The layout as locals and inline arrays (no stackalloc: it would keep this method out of tiering), so the
        // loop reads no LevelTable and calls nothing but the visitor and the memory.
        var format = layout.Format;
        ulong presentMask = format.PresentMask, tableMask = format.TableMask, tableValue = format.TableValue;
        ulong faultMask = format.FaultMask, faultValue = format.FaultValue;
        ulong addressMask = format.AddressMask, highAddressMask = format.HighAddressMask;
        int addressShift = format.AddressShift, highAddressShift = format.HighAddressShift;
        // Canonical form of a linear address: sign-extended (shift), upper half (fill), or as it is.
        int canonicalShift = layout.Half == AddressHalf.SignExtended ? 64 - layout.VirtualAddressBits : 0;
        ulong canonicalFill = layout.Half == AddressHalf.High && layout.VirtualAddressBits < 64 ? ~((1UL << layout.VirtualAddressBits) - 1) : 0;
        int top = layout.Levels;
        PerLevel<int> shift = default;
        PerLevel<uint> entries = default, tableBytes = default, index = default;
        PerLevel<bool> followsAnyPresent = default;
        PerLevel<nint> table = default;
        for (int level = 1; level <= top; level++)
        {
            var row = layout[level];
            shift[level] = row.Shift;
            entries[level] = (uint)row.Entries;
            tableBytes[level] = layout.TableBytes(level);
            // A level with no pages, in a layout that does not fault on it, follows every present entry.
            followsAnyPresent[level] = level > 1 && !format.Strict && !row.LeafAllowed;
        }

        ulong va = from & ~((1UL << layout.PageShift) - 1);
        ulong last = to;
        int lvl = top;
        table[lvl] = (nint)memory.At(root, tableBytes[lvl]);
        if (table[lvl] == 0)
            return 0;
        index[lvl] = (uint)(va >> shift[lvl]) & (entries[lvl] - 1);

        while (true)
        {
            TEntry* pte = (TEntry*)table[lvl] + index[lvl];
            ulong pageSize = 1UL << shift[lvl];
            ulong vaLevel = va & ~(pageSize - 1);
            ulong entry = ulong.CreateTruncating(*pte);
            int ret = visitor.Visit(Canonical(vaLevel), lvl, !IsTable(entry, lvl), pte);
            if (ret == WalkControl.SkipSubtree)
                ret = 0;
            else if (ret != 0)
                return ret;
            else
            {
                // The visitor may have changed the entry: decide again.
                entry = ulong.CreateTruncating(*pte);
                if (IsTable(entry, lvl))
                {
                    ulong address = ((entry & addressMask) << addressShift) | ((entry & highAddressMask) << highAddressShift);
                    nint next = (nint)memory.At(address, tableBytes[lvl - 1]);
                    if (next != 0)
                    {
                        lvl--;
                        table[lvl] = next;
                        index[lvl] = (uint)(va >> shift[lvl]) & (entries[lvl] - 1);
                        continue;
                    }
                }
            }

            // A leaf (or an entry not followed): on to the start of the next entry's region.
            va = vaLevel + pageSize;
            index[lvl]++;
            bool pastEnd = va - 1 >= last; // also true when va wrapped past the top of the space
            while (index[lvl] == entries[lvl] || pastEnd)
            {
                if (lvl == top)
                    return 0;
                // Leaving this table: the entry above it is done.
                lvl++;
                TEntry* parent = (TEntry*)table[lvl] + index[lvl];
                ulong parentVa = vaLevel & ~((1UL << shift[lvl]) - 1);
                vaLevel = parentVa;
                ret = visitor.Leave(Canonical(parentVa), lvl, parent);
                if (ret != 0 && ret != WalkControl.SkipSubtree)
                    return ret;
                index[lvl]++;
            }
        }

        // LevelTable.Kind's table rule, inline: present, not a fault pattern, above level 1, and table-shaped or at a
        // level whose present entries are all tables.
        bool IsTable(ulong entry, int level) =>
            (entry & presentMask) != 0
            && (faultMask == 0 || (entry & faultMask) != faultValue)
            && level > 1
            && ((entry & tableMask) == tableValue || followsAnyPresent[level]);

        ulong Canonical(ulong linear) => (ulong)((long)(linear << canonicalShift) >> canonicalShift) | canonicalFill;
    }

    [InlineArray(MaxLevels + 1)]
    private struct PerLevel<T>
    {
        private T _element;
    }
}
