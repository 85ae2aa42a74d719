namespace Walkers.PtDump.Listings;

/// <summary>
/// The Linux kernel's <c>/sys/kernel/debug/page_tables</c> style (arch/x86/mm/dump_pagetables.c): one line per
/// run of entries at one level with the same flags, absent ones included, with size, flags and level name.
/// Flags are the leaf's own, as Linux prints them.
/// </summary>
internal sealed class LinuxWriter(OutputBuffer output, AddressSpace space, int levels) : IRunWriter
{
    private const string Units = "BKMGTPE";
    private readonly int _width = space.Is64BitVirtual ? 16 : 8;

    public void Run(in MappingRun run)
    {
        output.BeginLine();
        output.Text("0x");
        output.Hex(run.Start & space.DisplayMask, _width);
        output.Text("-0x");
        output.Hex(run.End & space.DisplayMask, _width);
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
            output.Text((flags & X86Entry.User) != 0 ? "USR " : "    ");
            output.Text((flags & X86Entry.Writable) != 0 ? "RW " : "ro ");
            output.Text((flags & X86Entry.WriteThrough) != 0 ? "PWT " : "    ");
            output.Text((flags & X86Entry.CacheDisable) != 0 ? "PCD " : "    ");
            output.Text(run.Level > 1 && (flags & X86Entry.PageSize) != 0 ? "PSE " : "    ");
            bool pat = run.Level == 1 ? (flags & X86Entry.PageSize) != 0 : (flags & X86Entry.LargePat) != 0;
            output.Text(pat ? "PAT " : "    ");
            output.Text((flags & X86Entry.Global) != 0 ? "GLB " : "    ");
            output.Text((flags & X86Entry.NoExecute) != 0 ? "NX " : "x  ");
        }
        output.Text(LevelName(run.Level));
        output.Char('\n');
    }

    public void TableOutside(ulong va, int level, ulong tableAddress) => Listing.ReportTableOutside(output, va, level, tableAddress);

    /// <summary>Linux's names: pte, pmd, pud, p4d from the bottom; the root table is always pgd.</summary>
    private string LevelName(int level) => level == levels ? "pgd" : level switch
    {
        1 => "pte",
        2 => "pmd",
        3 => "pud",
        _ => "p4d",
    };
}
