using System;
using System.Numerics;

namespace Walkers.Tests.Support;

/// <summary>
/// The patch's <c>walk_pt</c>, ported line by line over a <see cref="LevelTable"/> (<c>e &amp; _PAGE_PSE</c> = the
/// entry's table bits differing from a table's: x86's PS bit, RISC-V's R/W/X, AArch64's bit 1 clear), to show where the walkers deliberately differ from it. Not bounded: it trusts every
/// table pointer (as mini-os does) and throws where the seed would read wild memory.
/// </summary>
public static unsafe class SeedWalker
{
    public static int WalkPt<TEntry, TVisitor>(LevelTable ptdata, FlatMemory memory, ulong ptBase, ulong fromVa, ulong toVa, ref TVisitor func)
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TVisitor : IPageTableVisitor<TEntry>, allows ref struct
    {
        int levels = ptdata.Levels;
        ulong pageSize = 1UL << ptdata.PageShift;
        ulong pse = ptdata.TableMask, table = ptdata.TableValue;
        int lvl = levels;
        var ptindex = new uint[levels + 1];
        ulong va = fromVa & ~(pageSize - 1);
        var tab = new nint[levels + 1];

        tab[lvl] = Table(memory, ptBase);
        ptindex[lvl] = Index(ptdata, va, lvl);

        while (va < (toVa | (pageSize - 1)))
        {
            TEntry* pte = (TEntry*)tab[lvl] + ptindex[lvl];
            ulong e = ulong.CreateTruncating(*pte);
            bool isLeaf = lvl == 1 || (e & pse) != table || (e & ptdata.PresentMask) == 0;
            ulong vaLvl = va & ~((1UL << ptdata[lvl].Shift) - 1);
            int ret = func.Visit(vaLvl, lvl, isLeaf, pte);
            if (ret != 0)
                return ret;

            e = ulong.CreateTruncating(*pte);
            isLeaf = lvl == 1 || (e & pse) != table || (e & ptdata.PresentMask) == 0;

            if (isLeaf)
            {
                va += 1UL << ptdata[lvl].Shift;
                ptindex[lvl]++;
                while (ptindex[lvl] == ptdata[lvl].Entries)
                {
                    if (lvl == levels)
                        return 0;
                    lvl++;
                    ptindex[lvl]++;
                }
            }
            else
            {
                lvl--;
                tab[lvl] = Table(memory, ptdata.EntryAddress(e));
                ptindex[lvl] = Index(ptdata, va, lvl);
            }
        }
        return 0;
    }

    private static nint Table(FlatMemory memory, ulong address) =>
        (nint)memory.At(address, 1) is var p && p != 0 ? p : throw new InvalidOperationException($"The seed would read a table at 0x{address:x}, outside memory.");

    private static uint Index(LevelTable ptdata, ulong va, int lvl) =>
        (uint)(va >> ptdata[lvl].Shift) & (uint)(ptdata[lvl].Entries - 1);
}
