using System;
using System.Collections.Generic;
using System.Numerics;
using Walkers.Images;
using Walkers.Layouts;

namespace Walkers.PtDump.Listings;

/// <summary>What a Linux level index (0 pgd ... 4 pte) the walk's generic code sees, and what it does with an entry above the last level.</summary>
internal enum LinuxNote
{
    /// <summary><c>pte_hole</c>: note the range as empty.</summary>
    Hole,

    /// <summary>A leaf: note it with its value.</summary>
    Leaf,

    /// <summary>Neither: not none, not present (a swap entry...): no note at all, the range joins the open run.</summary>
    Skip,
}

/// <summary>
/// One architecture's part of Linux 6.1's kernel ptdump (arch/*/mm/ptdump.c over mm/ptdump.c): which bits make up a
/// run's prot, how a line's attributes are printed, the markers of the kernel's address layout, and which upper-level
/// entries the generic walk notes.
/// </summary>
internal abstract class LinuxStyle
{
    /// <summary>The bits of an entry that make up a run's prot (the OR of the kernel's token masks).</summary>
    public abstract ulong ProtBits { get; }

    /// <summary>riscv prints the run's first PA; arm64 does not.</summary>
    public abstract bool PrintsPhysical { get; }

    /// <summary>arm64 prints runs of prot 0 (holes) too; riscv does not.</summary>
    public abstract bool PrintsEmptyRuns { get; }

    /// <summary>riscv's note_page prints every marker passed; arm64's at most two per call.</summary>
    public abstract bool PrintsEveryMarkerPassed { get; }

    /// <summary>The attribute tokens of a run's prot, each preceded by a space.</summary>
    public abstract string Attributes(ulong prot);

    /// <summary>What the generic walk does with a not-followed entry at Linux level index <paramref name="linuxLevel"/> (0..3).</summary>
    public abstract LinuxNote Upper(ulong value, int linuxLevel, int levels);

    /// <summary>The level a hole is reported at (<c>real_depth</c>: holes at folded levels move up).</summary>
    public abstract int HoleDepth(int linuxLevel, int levels);

    /// <summary>The kernel's markers for this table, in address order; empty where the layout is not one Linux 6.1 has.</summary>
    public abstract IReadOnlyList<(ulong Address, string Name)> Markers(RootTable table, MemoryImage? image);

    /// <summary>The physical address of a leaf's value, as the kernel computes it (riscv: PTE bits 53:10).</summary>
    public virtual ulong Physical(RootTable table, ulong value) => table.Table.EntryAddress(value);
}

/// <summary>
/// Linux 6.1's <c>/sys/kernel/debug/kernel_page_tables</c> for AArch64 and RISC-V: the kernel half from the start of the
/// kernel's address space up, every entry the generic walk notes fed to the architecture's <c>note_page</c>: runs of
/// equal prot at one level, lines of start-end, size, level name and attributes, the <c>---[ ... ]---</c> markers of the
/// kernel layout, and a final flush that prints the end of the last run as 0. Lower-half addresses (a --range that asks
/// for them) are listed first, in the same style, without markers.
/// </summary>
internal sealed class LinuxPtdumpFormat(OutputBuffer output, LinuxStyle style, MemoryImage? image) : ListingFormat(output)
{
    private LinuxStyle Style => style;

    private const string Units = "KMGTPE";

    private bool _explicitRange;
    private IReadOnlyList<(ulong Address, string Name)> _markers = [];
    private int _marker;
    private bool _started;
    private int _level, _levels;
    private ulong _prot, _start, _startPhysical;

    public override void Begin(AddressSpace space, ulong from, ulong to) => _explicitRange = from != 0 || to != ulong.MaxValue;

    public override void Table<TLayout, TEntry, TMemory>(TMemory memory, RootTable table, ulong from, ulong to, WalkLimit limit)
    {
        // The kernel's dump starts where its address space does: the upper half.
        ulong kernelStart = table.Table.Half switch
        {
            AddressHalf.High => table.Span.First,
            AddressHalf.SignExtended => ~((1UL << (table.Table.VirtualAddressBits - 1)) - 1),
            _ => ulong.MaxValue,
        };
        _levels = TLayout.Levels;
        if (_explicitRange && from < kernelStart)
        {
            // The part below the kernel's space: the same lines, no markers.
            Flush();
            _markers = [];
            Walk<TLayout, TEntry, TMemory>(memory, table, from, Math.Min(to, kernelStart - 1), limit);
            Flush();
        }
        if (kernelStart == ulong.MaxValue || to < kernelStart || limit.Stop != WalkStop.None)
            return;
        _markers = style.Markers(table, image);
        _marker = 0;
        _started = false;
        Walk<TLayout, TEntry, TMemory>(memory, table, Math.Max(from, kernelStart), to, limit);
        Flush();
    }

    private unsafe void Walk<TLayout, TEntry, TMemory>(TMemory memory, RootTable table, ulong from, ulong to, WalkLimit limit)
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TMemory : struct, IPhysicalMemory
    {
        var visitor = new Visitor<TLayout, TEntry, TMemory>(this, memory, table, from);
        LimitedWalk.Walk<TLayout, TEntry, TMemory, Visitor<TLayout, TEntry, TMemory>>(memory, table.Root, from, to, ref visitor, limit);
    }

    /// <summary>The final <c>note_page(0, -1, 0)</c>: the open run ends at address 0.</summary>
    private void Flush()
    {
        if (_started)
            Note(0, -1, 0, 0);
        _started = false;
    }

    private void Note(ulong address, int level, ulong value, ulong physical)
    {
        ulong prot = level >= 0 ? value & style.ProtBits : 0;
        bool nextMarker = _marker + 1 < _markers.Count && address >= _markers[_marker + 1].Address;
        if (!_started)
        {
            (_started, _level, _prot, _start, _startPhysical) = (true, level, prot, address, physical);
            if (_markers.Count > 0)
                MarkerLine(_markers[0].Name);
        }
        else if (prot != _prot || level != _level || nextMarker)
        {
            if (_prot != 0 || style.PrintsEmptyRuns)
                Line(address);
            if (style.PrintsEveryMarkerPassed)
            {
                while (_marker + 1 < _markers.Count && address >= _markers[_marker + 1].Address)
                    MarkerLine(_markers[++_marker].Name);
            }
            else if (nextMarker)
                MarkerLine(_markers[++_marker].Name);
            (_level, _prot, _start, _startPhysical) = (level, prot, address, physical);
        }
        if (!style.PrintsEveryMarkerPassed && _marker + 1 < _markers.Count && address >= _markers[_marker + 1].Address)
            MarkerLine(_markers[++_marker].Name);
    }

    private void MarkerLine(string name)
    {
        Output.BeginLine();
        Output.Text("---[ ");
        Output.Text(name);
        Output.Text(" ]---\n");
    }

    private void Line(ulong end)
    {
        var output = Output;
        output.BeginLine();
        output.Text("0x");
        output.Hex(_start, 16);
        output.Text("-0x");
        output.Hex(end, 16);
        output.Text("   ");
        if (style.PrintsPhysical)
        {
            output.Text(" 0x");
            output.Hex(_startPhysical, 16);
            output.Char(' ');
        }
        ulong delta = (end - _start) >> 10;
        int unit = 0;
        while ((delta & 1023) == 0 && unit < Units.Length - 1)
        {
            delta >>= 10;
            unit++;
        }
        string digits = delta.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (int i = digits.Length; i < 9; i++)
            output.Char(' ');
        output.Text(digits);
        output.Char(Units[unit]);
        output.Char(' ');
        output.Text(LevelName(_level));
        if (_prot != 0 || style.PrintsPhysical)
            output.Text(style.Attributes(_prot));
        output.Char('\n');
    }

    /// <summary>Linux's level names by index (0 pgd .. 4 pte), folded levels named after the level they fold into.</summary>
    private string LevelName(int index) => index switch
    {
        0 => "PGD",
        1 => _levels >= 5 ? "P4D" : "PGD",
        2 => _levels >= 4 ? "PUD" : "PGD",
        3 => _levels >= 3 ? "PMD" : "PGD",
        _ => "PTE",
    };

    private unsafe struct Visitor<TLayout, TEntry, TMemory>(LinuxPtdumpFormat format, TMemory memory, RootTable table, ulong from) : IPageTableVisitor<TEntry>
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TMemory : struct, IPhysicalMemory
    {
        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            ulong value = ulong.CreateTruncating(*entry);
            if (va < from)
                va = from; // the first entry of a walk may start below it
            var style = format.Style;
            int linuxLevel = 5 - level; // pte 4, pmd 3, pud 2, p4d 1, pgd 0: the top of an N-level table is 5 - N
            if (level == 1)
                format.Note(va, 4, value, style.Physical(table, value)); // every PTE slot is noted
            else if (!isLeaf)
            {
                if (memory.At(TLayout.EntryAddress(value), TLayout.TableBytes(level - 1)) is null)
                {
                    format.Flush();
                    format.ReportTableOutside(va, level, TLayout.EntryAddress(value));
                }
            }
            else
            {
                switch (style.Upper(value, linuxLevel, TLayout.Levels))
                {
                    case LinuxNote.Hole:
                        format.Note(va, style.HoleDepth(linuxLevel, TLayout.Levels), 0, 0);
                        break;
                    case LinuxNote.Leaf:
                        format.Note(va, linuxLevel, value, style.Physical(table, value));
                        break;
                }
            }
            return 0;
        }
    }
}

/// <summary>Linux 6.1 arch/arm64/mm/ptdump.c: leaf bits only, holes printed, markers for the VA configurations 6.1 has.</summary>
internal sealed class Arm64LinuxStyle : LinuxStyle
{
    private const ulong Valid = 1UL << 0, Table = 1UL << 1, User = Arm64Flags.ApEl0, ReadOnly = Arm64Flags.ApReadOnly, Shared = 3UL << 8,
        AccessFlag = Arm64Flags.AccessFlag, NotGlobal = Arm64Flags.NotGlobal, Guarded = 1UL << 50, Contiguous = Arm64Flags.Contiguous,
        Pxn = Arm64Flags.Pxn, Uxn = Arm64Flags.Uxn, AttrIndx = Arm64Flags.AttrIndx, ProtNone = 1UL << 58, PresentInvalid = 1UL << 59;

    /// <summary>The OR of the kernel's token masks.</summary>
    public const ulong ProtMask = Valid | Table | User | ReadOnly | Shared | AccessFlag | NotGlobal | Guarded | Contiguous | Pxn | Uxn | AttrIndx;

    public override ulong ProtBits => ProtMask;

    public override bool PrintsPhysical => false;

    public override bool PrintsEmptyRuns => true;

    public override bool PrintsEveryMarkerPassed => false;

    public override string Attributes(ulong prot) => Tokens(prot);

    /// <summary>The kernel's <c>pte_bits</c> tokens, in its order, each after a space.</summary>
    public static string Tokens(ulong prot)
    {
        var text = new System.Text.StringBuilder();
        void Token(bool set, string whenSet, string whenClear) => text.Append(' ').Append(set ? whenSet : whenClear);
        Token((prot & Valid) != 0, " ", "F");
        Token((prot & User) != 0, "USR", "   ");
        Token((prot & ReadOnly) != 0, "ro", "RW");
        Token((prot & Pxn) != 0, "NX", "x ");
        Token((prot & Shared) == Shared, "SHD", "   ");
        Token((prot & AccessFlag) != 0, "AF", "  ");
        Token((prot & NotGlobal) != 0, "NG", "  ");
        Token((prot & Contiguous) != 0, "CON", "   ");
        Token((prot & Table) != 0, "   ", "BLK");
        Token((prot & Uxn) != 0, "UXN", "   ");
        Token((prot & Guarded) != 0, "GP", "  ");
        string? memoryType = ((prot & AttrIndx) >> 2) switch
        {
            3 => "DEVICE/nGnRnE",
            4 => "DEVICE/nGnRE",
            2 => "MEM/NORMAL-NC",
            0 => "MEM/NORMAL",
            1 => "MEM/NORMAL-TAGGED",
            _ => null,
        };
        if (memoryType is not null)
            text.Append(' ').Append(memoryType);
        return text.ToString();
    }

    public override LinuxNote Upper(ulong value, int linuxLevel, int levels)
    {
        if (value == 0)
            return LinuxNote.Hole;
        if (linuxLevel == 1 && levels == 4)
            return LinuxNote.Hole; // p4d_none_or_clear_bad: not a table, so cleared and a hole (a p4d is never a leaf)
        bool present = (value & (Valid | ProtNone)) != 0 || (linuxLevel == 3 && (value & PresentInvalid) != 0);
        return present && (value & 3) != 3 ? LinuxNote.Leaf : LinuxNote.Skip;
    }

    public override int HoleDepth(int linuxLevel, int levels) => linuxLevel == 5 - levels ? 0 : linuxLevel; // holes at the top table are the pgd's

    public override IReadOnlyList<(ulong Address, string Name)> Markers(RootTable table, MemoryImage? image)
    {
        int pageShift = table.Table.PageShift, vaBits = table.Table.VirtualAddressBits;
        if (table.Table.Half != AddressHalf.High || (pageShift == 12 && vaBits == 52))
            return []; // 6.1 has no 52-bit 4K (LPA2) layout
        // arch/arm64/include/asm/memory.h, pgtable.h and fixmap.h of 6.1 (KPTI and RELOCATABLE on, no KASAN, no GHES/SDEI).
        int vaMin = Math.Min(vaBits, 48);
        ulong pageOffset = 0 - (1UL << vaBits), pageEnd = 0 - (1UL << (vaMin - 1));
        int vmemmapShift = pageShift - 6; // STRUCT_PAGE_MAX_SHIFT 6
        ulong vmemmapStart = 0 - (1UL << (vaBits - vmemmapShift));
        ulong vmemmapSize = (pageEnd - pageOffset) >> vmemmapShift;
        ulong modules = pageEnd, modulesEnd = modules + (128UL << 20);
        ulong vmallocEnd = vmemmapStart - (256UL << 20);
        ulong fixaddrTop = vmemmapStart - (32UL << 20);
        ulong fixaddrPages = 1 + ((4UL << 20) >> pageShift) + 1 + 1 + 4; // hole, FDT, earlycon, text poke, KPTI trampoline (+1 relocatable)
        ulong pciIoEnd = vmemmapStart - (8UL << 20);
        return
        [
            (pageOffset, "Linear Mapping start"), (pageEnd, "Linear Mapping end"),
            (modules, "Modules start"), (modulesEnd, "Modules end"),
            (modulesEnd, "vmalloc() area"), (vmallocEnd, "vmalloc() end"),
            (fixaddrTop - (fixaddrPages << pageShift), "Fixmap start"), (fixaddrTop, "Fixmap end"),
            (pciIoEnd - (16UL << 20), "PCI I/O start"), (pciIoEnd, "PCI I/O end"),
            (vmemmapStart, "vmemmap start"), (vmemmapStart + vmemmapSize, "vmemmap end"),
        ];
    }
}

/// <summary>Linux 6.1 arch/riscv/mm/ptdump.c: the PA column, no empty runs, markers of Sv39/48/57.</summary>
internal sealed class RiscVLinuxStyle : LinuxStyle
{
    private const ulong V = RiscVFlags.Valid, Rwx = RiscVFlags.Read | RiscVFlags.Write | RiscVFlags.Execute, G = RiscVFlags.Global;

    public override ulong ProtBits => 0x1ff; // RSW bit 8, D A G U X W R V

    public override bool PrintsPhysical => true;

    public override bool PrintsEmptyRuns => false;

    public override bool PrintsEveryMarkerPassed => true;

    public override string Attributes(ulong prot)
    {
        var text = new System.Text.StringBuilder();
        text.Append(' ').Append((prot & 0x100) != 0 ? "RSW" : "   ");
        const string letters = "DAGUXWRV";
        for (int bit = 7; bit >= 0; bit--)
            text.Append(' ').Append((prot >> bit & 1) != 0 ? letters[7 - bit] : '.');
        return text.ToString();
    }

    public override LinuxNote Upper(ulong value, int linuxLevel, int levels)
    {
        if (value == 0)
            return LinuxNote.Hole;
        if (linuxLevel < 2)
            return LinuxNote.Hole; // pgd/p4d: never leaves; not a table either, so a hole
        bool present = linuxLevel == 3 ? (value & (V | G | Rwx)) != 0 : (value & V) != 0; // pmd_present counts PROT_NONE (G)
        return present && (value & Rwx) != 0 ? LinuxNote.Leaf : LinuxNote.Skip;
    }

    public override int HoleDepth(int linuxLevel, int levels) => linuxLevel; // riscv folds levels at run time: real_depth() keeps them

    public override ulong Physical(RootTable table, ulong value) => ((value & 0x003F_FFFF_FFFF_FC00) >> 10) << 12;

    public override IReadOnlyList<(ulong Address, string Name)> Markers(RootTable table, MemoryImage? image)
    {
        int levels = table.Table.Levels, vaBits = table.Table.VirtualAddressBits;
        if (table.Table.EntryBits == 32)
            return [];
        // arch/riscv/include/asm/pgtable.h of 6.1 (SPARSEMEM_VMEMMAP, no KASAN).
        int pgdirShift = table.Table[levels].Shift;
        ulong pgdirSize = 1UL << pgdirShift;
        ulong pageOffset = levels switch { 3 => 0xffff_ffd8_0000_0000, 4 => 0xffff_af80_0000_0000, _ => 0xff60_0000_0000_0000 };
        ulong kernVirtSize = 256 * pgdirSize / 2;
        ulong vmallocStart = pageOffset - (kernVirtSize >> 1);
        ulong vmemmapStart = vmallocStart - (1UL << (vaBits - 12 - 1 + 6));
        ulong pciIoStart = vmemmapStart - (16UL << 20);
        ulong fixaddrStart = pciIoStart - ((2UL << 20) + (2UL << 20) + (2UL << 20)); // a PMD, and the FDT window
        const ulong KernelMapping = 0xffff_ffff_8000_0000; // kernel_map.virt_addr (no KASLR in 6.1)
        ulong modules = PageAlign(KernelEnd(image, pageOffset) ?? KernelImageEnd(image, table)) - (2UL << 30);
        return
        [
            (fixaddrStart, "Fixmap start"), (pciIoStart, "Fixmap end"),
            (pciIoStart, "PCI I/O start"), (vmemmapStart, "PCI I/O end"),
            (vmemmapStart, "vmemmap start"), (vmallocStart, "vmemmap end"),
            (vmallocStart, "vmalloc() area"), (pageOffset, "vmalloc() end"),
            (pageOffset, "Linear mapping"),
            (modules, "Modules/BPF mapping"), (KernelMapping, "Kernel mapping"),
        ];
    }

    private static ulong PageAlign(ulong address) => (address + 0xfff) & ~0xfffUL;

    /// <summary>
    /// The kernel's <c>_end</c>, for MODULES_VADDR: from <c>kernel_map</c> (struct kernel_mapping: page_offset, virt_addr,
    /// phys_addr, size...) found in the image by its first two words.
    /// </summary>
    private static unsafe ulong? KernelEnd(MemoryImage? image, ulong pageOffset)
    {
        if (image is null)
            return null;
        Span<ulong> pattern = [pageOffset, 0xffff_ffff_8000_0000];
        var needle = System.Runtime.InteropServices.MemoryMarshal.AsBytes(pattern);
        foreach (var segment in image.Memory.Segments)
        {
            // Spans are int-sized: search in chunks that overlap by the pattern's length.
            const int Chunk = 1 << 30;
            for (ulong offset = 0; offset < segment.Length; offset += Chunk - 16)
            {
                int length = (int)Math.Min(Chunk, segment.Length - offset);
                var haystack = new ReadOnlySpan<byte>(segment.Base + offset, length);
                for (int at = haystack.IndexOf(needle); at >= 0;)
                {
                    if (at % 8 == 0 && at + 32 <= haystack.Length)
                    {
                        ulong size = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(haystack.Slice(at + 24, 8));
                        if (size is > 0 and < 1UL << 31)
                            return 0xffff_ffff_8000_0000 + size;
                    }
                    int next = haystack[(at + 1)..].IndexOf(needle);
                    at = next < 0 ? -1 : at + 1 + next;
                }
                if (length < Chunk)
                    break;
            }
        }
        return null;
    }

    /// <summary>Without kernel_map: the end of the kernel image's mapping (the kernel's own marker is within 2 MiB below).</summary>
    private static ulong KernelImageEnd(MemoryImage? image, RootTable table) =>
        image is null ? 0xffff_ffff_8000_0000 : table.Handle.Accept(new MappedEnd(image.Memory, table.Root, 0xffff_ffff_8000_0000));

    /// <summary>The end of the run of mapped 2 MiB steps from <paramref name="start"/>.</summary>
    private sealed class MappedEnd(SegmentedMemory memory, ulong root, ulong start) : ILayoutAction<ulong>
    {
        public ulong Run<TLayout, TEntry>()
            where TLayout : struct, IPageTableLayout<TEntry>
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        {
            ulong end = start;
            while (end != 0 && TLayout.TryTranslate(memory, root, end, out _))
                end += 2UL << 20;
            return end;
        }
    }
}
