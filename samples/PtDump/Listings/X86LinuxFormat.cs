using System.Numerics;
using Walkers.Layouts;

namespace Walkers.PtDump.Listings;

/// <summary>
/// The Linux kernel's <c>/sys/kernel/debug/page_tables</c> style on x86 (arch/x86/mm/dump_pagetables.c): one line per run
/// of entries at one level with the same flags, absent ones included, with size, flags and level name. Flags are the
/// leaf's own, as Linux prints them.
/// </summary>
internal sealed class X86LinuxFormat(OutputBuffer output) : ListingFormat(output)
{
    private const string Units = "BKMGTPE";
    private const ulong AttributeMask = X86Flags.User | X86Flags.Writable | X86Flags.WriteThrough | X86Flags.CacheDisable
        | X86Flags.PageSize | X86Flags.Global | X86Flags.NoExecute;

    private MappingRun _run;
    private int _levels;
    private int _width;
    private ulong _displayMask;

    public override void Begin(AddressSpace space, ulong from, ulong to)
    {
        var table = space.Tables[0].Table;
        _levels = table.Levels;
        bool wide = table.VirtualAddressBits > 32;
        _width = wide ? 16 : 8;
        _displayMask = wide ? ulong.MaxValue : 0xffff_ffff; // 32-bit modes wrap at 4 GiB like a 32-bit kernel's own dump
    }

    public override unsafe void Table<TLayout, TEntry, TMemory>(TMemory memory, RootTable table, ulong from, ulong to, WalkLimit limit)
    {
        var visitor = new Visitor<TLayout, TEntry, TMemory>(this, memory);
        LimitedWalk.Walk<TLayout, TEntry, TMemory, Visitor<TLayout, TEntry, TMemory>>(memory, table.Root, from, to, ref visitor, limit);
    }

    public override void End() => Close();

    private void Add(ulong va, ulong size, int level, bool present, ulong value)
    {
        ulong flags = present ? (value & AttributeMask) | (level > 1 ? value & X86Flags.LargePat : 0) : 0;
        if (_run.TryExtend(va, size, level, present, flags, 0, physicallyContiguous: false))
            return;
        Close();
        _run = MappingRun.Begin(va, size, level, present, flags, value, 0);
    }

    private void Close()
    {
        if (_run.Pages == 0)
            return;
        var run = _run;
        _run = default;
        var output = Output;
        output.BeginLine();
        output.Text("0x");
        output.Hex(run.Start & _displayMask, _width);
        output.Text("-0x");
        output.Hex(run.End & _displayMask, _width);
        output.Text("   ");
        ulong delta = run.End - run.Start;
        int unit = 0;
        while ((delta & 1023) == 0 && unit < Units.Length - 1 && delta != 0)
        {
            delta >>= 10;
            unit++;
        }
        // "%9lu%c "
        string digits = delta.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (int i = digits.Length; i < 9; i++)
            output.Char(' ');
        output.Text(digits);
        output.Char(Units[unit]);
        output.Char(' ');
        if (!run.Present)
            output.Text("                              ");
        else
        {
            ulong flags = run.Flags;
            output.Text((flags & X86Flags.User) != 0 ? "USR " : "    ");
            output.Text((flags & X86Flags.Writable) != 0 ? "RW " : "ro ");
            output.Text((flags & X86Flags.WriteThrough) != 0 ? "PWT " : "    ");
            output.Text((flags & X86Flags.CacheDisable) != 0 ? "PCD " : "    ");
            output.Text(run.Level > 1 && (flags & X86Flags.PageSize) != 0 ? "PSE " : "    ");
            bool pat = run.Level == 1 ? (flags & X86Flags.PagePat) != 0 : (flags & X86Flags.LargePat) != 0;
            output.Text(pat ? "PAT " : "    ");
            output.Text((flags & X86Flags.Global) != 0 ? "GLB " : "    ");
            output.Text((flags & X86Flags.NoExecute) != 0 ? "NX " : "x  ");
        }
        output.Text(LevelName(run.Level));
        output.Char('\n');
    }

    /// <summary>Linux's names: pte, pmd, pud, p4d from the bottom; the root table is always pgd.</summary>
    private string LevelName(int level) => level == _levels ? "pgd" : level switch
    {
        1 => "pte",
        2 => "pmd",
        3 => "pud",
        _ => "p4d",
    };

    private unsafe struct Visitor<TLayout, TEntry, TMemory>(X86LinuxFormat format, TMemory memory) : IPageTableVisitor<TEntry>
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TMemory : struct, IPhysicalMemory
    {
        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            ulong value = ulong.CreateTruncating(*entry);
            bool present = (value & X86Flags.Present) != 0;
            if (!present || isLeaf)
                format.Add(va, TLayout.PageSize(level), level, present, value);
            else if (memory.At(TLayout.EntryAddress(value), TLayout.TableBytes(level - 1)) is null)
            {
                format.Close();
                format.ReportTableOutside(va, level, TLayout.EntryAddress(value));
            }
            return 0;
        }
    }
}
