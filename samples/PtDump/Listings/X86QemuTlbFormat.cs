using System.Numerics;
using System.Runtime.CompilerServices;
using Walkers.Layouts;

namespace Walkers.PtDump.Listings;

/// <summary>
/// QEMU 7.2 <c>info tlb</c> (target/i386/monitor.c): one line per present leaf, "va: pte&amp;mask XGPDACTUW". The physical
/// column is the whole entry under a per-mode, per-size mask (PAE masks keep the NX bit), and at level 1 bit 7 (PAT)
/// is cleared before the flags are printed, as <c>print_pte</c> is given <c>pte &amp; ~PG_PSE_MASK</c>.
/// </summary>
internal sealed class X86QemuTlbFormat(OutputBuffer output) : ListingFormat(output)
{
    /// <summary>The masks of <c>tlb_info_*</c> for 4K, level-2 and level-3 leaves.</summary>
    public static (ulong Page, ulong Level2, ulong Level3) Masks(RootTable table) =>
        Families.X86Family.IsLegacy(table) ? (~0xfffUL, ~0x1f_ffffUL, 0)
        : Families.X86Family.IsPae(table) ? (~0xfffUL, ~0xf_ffffUL, 0) // (1 << 20) - 1, as QEMU has it
        : (0x3_ffff_ffff_f000UL, 0x3_ffff_ffe0_0000UL, 0x3_ffff_c000_0000UL);

    public override void Table<TLayout, TEntry, TMemory>(TMemory memory, RootTable table, ulong from, ulong to, WalkLimit limit)
    {
        var visitor = new Visitor<TLayout, TEntry, TMemory>(this, memory, Masks(table));
        LimitedWalk.Walk<TLayout, TEntry, TMemory, Visitor<TLayout, TEntry, TMemory>>(memory, table.Root, from, to, ref visitor, limit);
    }

    /// <summary>QEMU's <c>print_pte</c> flag letters, "XGPDACTUW", each a letter or '-'.</summary>
    public static void AppendFlags(OutputBuffer output, ulong entry)
    {
        output.Char((entry & X86Flags.NoExecute) != 0 ? 'X' : '-');
        output.Char((entry & X86Flags.Global) != 0 ? 'G' : '-');
        output.Char((entry & X86Flags.PageSize) != 0 ? 'P' : '-');
        output.Char((entry & X86Flags.Dirty) != 0 ? 'D' : '-');
        output.Char((entry & X86Flags.Accessed) != 0 ? 'A' : '-');
        output.Char((entry & X86Flags.CacheDisable) != 0 ? 'C' : '-');
        output.Char((entry & X86Flags.WriteThrough) != 0 ? 'T' : '-');
        output.Char((entry & X86Flags.User) != 0 ? 'U' : '-');
        output.Char((entry & X86Flags.Writable) != 0 ? 'W' : '-');
    }

    /// <summary>The same letters as a string (for translate).</summary>
    public static string Flags(ulong entry) => string.Create(9, entry, static (span, e) =>
    {
        span[0] = (e & X86Flags.NoExecute) != 0 ? 'X' : '-';
        span[1] = (e & X86Flags.Global) != 0 ? 'G' : '-';
        span[2] = (e & X86Flags.PageSize) != 0 ? 'P' : '-';
        span[3] = (e & X86Flags.Dirty) != 0 ? 'D' : '-';
        span[4] = (e & X86Flags.Accessed) != 0 ? 'A' : '-';
        span[5] = (e & X86Flags.CacheDisable) != 0 ? 'C' : '-';
        span[6] = (e & X86Flags.WriteThrough) != 0 ? 'T' : '-';
        span[7] = (e & X86Flags.User) != 0 ? 'U' : '-';
        span[8] = (e & X86Flags.Writable) != 0 ? 'W' : '-';
    });

    private unsafe struct Visitor<TLayout, TEntry, TMemory>(X86QemuTlbFormat format, TMemory memory, (ulong Page, ulong Level2, ulong Level3) masks)
        : IPageTableVisitor<TEntry>
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TMemory : struct, IPhysicalMemory
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            ulong value = ulong.CreateTruncating(*entry);
            if ((value & X86Flags.Present) == 0)
                return 0;
            if (isLeaf)
                WriteLine(va, level, value);
            else if (memory.At(TLayout.EntryAddress(value), TLayout.TableBytes(level - 1)) is null)
                format.ReportTableOutside(va, level, TLayout.EntryAddress(value));
            return 0;
        }

        private readonly void WriteLine(ulong va, int level, ulong value)
        {
            ulong mask;
            if (level == 1)
            {
                value &= ~X86Flags.PageSize;
                mask = masks.Page;
            }
            else
                mask = level == 2 ? masks.Level2 : masks.Level3;
            var output = format.Output;
            output.BeginLine();
            output.Hex(va, 16);
            output.Char(':');
            output.Char(' ');
            output.Hex(value & mask, 16);
            output.Char(' ');
            AppendFlags(output, value);
            output.Char('\n');
        }
    }
}
