using System.Numerics;
using System.Runtime.CompilerServices;

namespace Walkers.PtDump.Listings;

/// <summary>
/// QEMU 7.2 <c>info tlb</c>: one line per present leaf, "va: pte&amp;mask XGPDACTUW". The physical column is the
/// whole entry under a per-mode, per-size mask (PAE masks keep the NX bit), and at level 1 bit 7 (PAT) is
/// cleared before the flags are printed, as <c>print_pte</c> is given <c>pte &amp; ~PG_PSE_MASK</c>.
/// </summary>
internal unsafe struct QemuTlbVisitor<TEntry, TLayout, TMemory> : IPageTableVisitor<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    where TLayout : IPageTableLayout<TEntry>
    where TMemory : struct, IPhysicalMemory
{
    private readonly OutputBuffer _output;
    private readonly TMemory _memory;
    private readonly ulong _pageMask, _level2Mask, _level3Mask;
    private long _budget;                // entries left before the walk is taken for cyclic (Listing.EntryBudget)

    public QemuTlbVisitor(OutputBuffer output, TMemory memory, PagingMode mode)
    {
        _output = output;
        _budget = Listing.EntryBudget;
        _memory = memory;
        (_pageMask, _level2Mask, _level3Mask) = Masks(mode);
    }

    /// <summary>Page tables not read because they lie outside the image.</summary>
    public int TablesOutside { get; private set; }

    /// <summary>The masks of <c>tlb_info_*</c> for 4K, level-2 and level-3 leaves.</summary>
    public static (ulong Page, ulong Level2, ulong Level3) Masks(PagingMode mode) => mode switch
    {
        PagingMode.Legacy => (~0xfffUL, ~0x1f_ffffUL, 0),
        PagingMode.Pae => (~0xfffUL, ~0xf_ffffUL, 0), // (1 << 20) - 1, as QEMU has it
        _ => (0x3_ffff_ffff_f000UL, 0x3_ffff_ffe0_0000UL, 0x3_ffff_c000_0000UL),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
    {
        if (--_budget < 0)
            return Listing.BudgetExhausted;
        ulong value = ulong.CreateTruncating(*entry);
        if ((value & X86Entry.Present) == 0)
            return 0;
        if (isLeaf)
            WriteLine(va, level, value);
        else if (_memory.At(TLayout.EntryAddress(value), TLayout.TableBytes(level - 1)) is null)
        {
            TablesOutside++;
            Listing.ReportTableOutside(_output, va, level, TLayout.EntryAddress(value));
        }
        return 0;
    }

    private readonly void WriteLine(ulong va, int level, ulong value)
    {
        ulong mask;
        if (level == 1)
        {
            value &= ~X86Entry.PageSize;
            mask = _pageMask;
        }
        else
            mask = level == 2 ? _level2Mask : _level3Mask;
        var output = _output;
        output.BeginLine();
        output.Hex(va, 16);
        output.Char(':');
        output.Char(' ');
        output.Hex(value & mask, 16);
        output.Char(' ');
        X86Entry.AppendQemuFlags(output, value);
        output.Char('\n');
    }
}
