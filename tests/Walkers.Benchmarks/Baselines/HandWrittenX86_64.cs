using System.Runtime.CompilerServices;

namespace Walkers.Benchmarks;

/// <summary>
/// The expert's baseline: an x86-64 4-level walker and translator written by hand, as one would for one layout — every
/// constant inline, raw pointers, one bounds check per table, the leaf loop in its own method on a local copy of the
/// visitor (the shape PERF-NOTES found fastest). Same contract as the generated walker: the visitor sees every entry
/// of every table in the range, a table outside memory is not followed.
/// </summary>
public static unsafe class HandWrittenX86_64
{
    private const ulong Present = 1, PageSize = 0x80, Address = 0x000F_FFFF_FFFF_F000;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong* Table(in FlatMemory memory, ulong physical)
    {
        ulong offset = physical - memory.Start;
        return offset <= memory.Length - 4096 && memory.Length >= 4096 ? (ulong*)(memory.Base + offset) : null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Walk<TVisitor>(FlatMemory memory, ulong root, ulong from, ulong to, ref TVisitor visitor)
        where TVisitor : struct, IPageTableVisitor<ulong>
    {
        ulong* l4 = Table(memory, root);
        if (l4 == null)
            return;
        for (ulong i4 = (from >> 39) & 511, e4 = (to >> 39) & 511; i4 <= e4; i4++)
        {
            ulong va4 = i4 << 39;
            ulong v4 = l4[i4];
            visitor.Visit(Canonical(va4), 4, (v4 & Present) == 0, l4 + i4);
            ulong* l3 = (v4 & Present) != 0 ? Table(memory, v4 & Address) : null;
            if (l3 == null)
                continue;
            ulong f3 = from > va4 ? from : va4, t3 = to < va4 + (1UL << 39) - 1 ? to : va4 + (1UL << 39) - 1;
            for (ulong i3 = (f3 >> 30) & 511, e3 = (t3 >> 30) & 511; i3 <= e3; i3++)
            {
                ulong va3 = va4 | i3 << 30;
                ulong v3 = l3[i3];
                bool table3 = (v3 & (Present | PageSize)) == Present;
                visitor.Visit(Canonical(va3), 3, !table3, l3 + i3);
                ulong* l2 = table3 ? Table(memory, v3 & Address) : null;
                if (l2 == null)
                    continue;
                ulong f2 = f3 > va3 ? f3 : va3, t2 = t3 < va3 + (1UL << 30) - 1 ? t3 : va3 + (1UL << 30) - 1;
                for (ulong i2 = (f2 >> 21) & 511, e2 = (t2 >> 21) & 511; i2 <= e2; i2++)
                {
                    ulong va2 = va3 | i2 << 21;
                    ulong v2 = l2[i2];
                    bool table2 = (v2 & (Present | PageSize)) == Present;
                    visitor.Visit(Canonical(va2), 2, !table2, l2 + i2);
                    ulong* l1 = table2 ? Table(memory, v2 & Address) : null;
                    if (l1 == null)
                        continue;
                    ulong f1 = f2 > va2 ? f2 : va2, t1 = t2 < va2 + (1UL << 21) - 1 ? t2 : va2 + (1UL << 21) - 1;
                    Leaves(l1, va2, (uint)(f1 >> 12) & 511, (uint)(t1 >> 12) & 511, ref visitor);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Leaves<TVisitor>(ulong* l1, ulong tableVa, uint first, uint last, ref TVisitor visitor)
        where TVisitor : struct, IPageTableVisitor<ulong>
    {
        var local = visitor;
        for (uint i = first; i <= last; i++)
            local.Visit(Canonical(tableVa | (ulong)i << 12), 1, true, l1 + i);
        visitor = local;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Canonical(ulong va) => (ulong)((long)(va << 16) >> 16);

    /// <summary>The translator an expert writes: four loads, the masks as constants, one bounds check per table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryTranslate(FlatMemory memory, ulong root, ulong va, out ulong physical)
    {
        physical = 0;
        if ((ulong)(((long)(va << 16) >> 16)) != va)
            return false;
        byte* basePointer = memory.Base;
        ulong start = memory.Start, limit = memory.Length - 4096;
        if (memory.Length < 4096)
            return false;
        ulong offset = root - start;
        if (offset > limit)
            return false;
        ulong e = ((ulong*)(basePointer + offset))[(va >> 39) & 511];
        if ((e & Present) == 0)
            return false;
        offset = (e & Address) - start;
        if (offset > limit)
            return false;
        e = ((ulong*)(basePointer + offset))[(va >> 30) & 511];
        if ((e & Present) == 0)
            return false;
        if ((e & PageSize) != 0)
        {
            physical = (e & Address & ~0x3FFF_FFFFUL) | (va & 0x3FFF_FFFF);
            return true;
        }
        offset = (e & Address) - start;
        if (offset > limit)
            return false;
        e = ((ulong*)(basePointer + offset))[(va >> 21) & 511];
        if ((e & Present) == 0)
            return false;
        if ((e & PageSize) != 0)
        {
            physical = (e & Address & ~0x1F_FFFFUL) | (va & 0x1F_FFFF);
            return true;
        }
        offset = (e & Address) - start;
        if (offset > limit)
            return false;
        e = ((ulong*)(basePointer + offset))[(va >> 12) & 511];
        if ((e & Present) == 0)
            return false;
        physical = (e & Address) | (va & 0xFFF);
        return true;
    }
}
