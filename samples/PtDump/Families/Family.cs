using System;
using System.Collections.Immutable;
using System.Linq;
using Walkers.Images;
using Walkers.Layouts;
using Walkers.PtDump.Listings;
using Walkers.PtDump.Roots;

namespace Walkers.PtDump.Families;

/// <summary>
/// What ptdump knows of one architecture: which ELF machines are its, how its roots come from registers (or a scan),
/// which listing formats it has, and how its entries read to people. Everything else is the ready layouts' and the
/// runtime's: a family picks layouts, it does not walk.
/// </summary>
internal abstract class Family
{
    public static readonly X86Family X86 = new();
    public static readonly RiscVFamily RiscV = new();
    public static readonly Arm64Family Arm64 = new();

    public static ImmutableArray<Family> All { get; } = [X86, RiscV, Arm64];

    /// <summary>x86, riscv, arm64: what --arch takes.</summary>
    public abstract string Name { get; }

    public abstract Architecture Architecture { get; }

    /// <summary>The ELF machines (e_machine) of this family's dumps.</summary>
    public abstract ImmutableArray<ushort> Machines { get; }

    public abstract ImmutableArray<OutputFormat> Formats { get; }

    public OutputFormat DefaultFormat => Formats[0];

    /// <summary>One line per flag letter or token the listings and translate print, for --help.</summary>
    public abstract string Legend { get; }

    public abstract RootScanner Scanner { get; }

    /// <summary>
    /// The address space the dump and the options name. With no root in either, the kernel's own, found by the
    /// scanner, and <paramref name="notice"/> says which root it took. Null: paging is off (x86 CR0.PG = 0).
    /// </summary>
    public abstract AddressSpace? Resolve(MemoryImage image, RootOptions options, Action<string> notice);

    /// <summary>The writer of <paramref name="format"/> for this family (the caller checked it is one of <see cref="Formats"/>).</summary>
    public abstract ListingFormat CreateFormat(OutputFormat format, AddressSpace space, OutputBuffer output, MemoryImage? image);

    /// <summary>The flags of a translated page as this family prints them, effective permissions included.</summary>
    public abstract string DescribePage(RootTable table, ulong entry, int level, InheritedFlags inherited);

    /// <summary>The bits that split a JSON run (attributes, not accessed/dirty).</summary>
    public abstract ulong RunMask { get; }

    /// <summary>The effective permissions of a page (its entry with the tables' restrictions applied), by name.</summary>
    public abstract (string Name, bool Value)[] Effective(ulong effectiveEntry);

    /// <summary>The physical frame of a leaf (the layout's address fields; x86 legacy 4M pages add PSE-36).</summary>
    public virtual ulong Frame(RootTable table, ulong entry, int level) =>
        table.Table.EntryAddress(entry) & ~(table.Table[level].PageSize - 1);

    public static Family? ForMachine(ushort machine) => All.FirstOrDefault(f => f.Machines.Contains(machine));

    public static Family Parse(string name) =>
        All.FirstOrDefault(f => f.Name == name)
        ?? throw new UsageException($"unknown architecture '{name}' (x86, riscv or arm64)");

    /// <summary>Refuses root options that belong to another family.</summary>
    protected void RejectForeign(RootOptions options)
    {
        string? foreign =
            this != X86 && options.GivesX86 ? "--cr3/--mode (x86)"
            : this != RiscV && options.GivesRiscV ? "--satp (RISC-V)"
            : this != Arm64 && options.GivesArm64 ? "--ttbr0/--ttbr1/--tcr (AArch64)"
            : null;
        if (foreign is not null)
            throw new BadInputException($"{foreign} given for an image of another architecture ({Name})");
    }

    /// <summary>The root scanner's kernel root, as the address space to list, with a one-line notice.</summary>
    protected AddressSpace FromScan(MemoryImage image, Action<string> notice)
    {
        var found = Scanner.Scan(image);
        var kernel = found.Roots.FirstOrDefault(r => r.Role == RootRole.Kernel)
            ?? throw new BadInputException($"{image.Path}: the dump names no page-table root and none was found that looks like the kernel's ({found.Roots.Length} roots found; give the root registers, or see 'ptdump roots')");
        notice($"ptdump: no root registers in the dump: listing the kernel's address space, root 0x{kernel.Root:x} ({kernel.Layout.Name}, found by scanning: {kernel.Evidence})");
        return SpaceOf(kernel, "scan (the kernel's root)");
    }

    /// <summary>The address space of one root the scanner found: its table, in its half.</summary>
    public AddressSpace SpaceOf(FoundRoot root, string source)
    {
        var handle = root.UpperHalf ? root.Layout.Upper! : root.Layout.Lower;
        string half = root.Layout.Upper is null ? "" : root.UpperHalf ? "upper" : "lower";
        return new AddressSpace(this, root.Layout.Name, [new RootTable(half, root.Layout, handle, root.Root, "scan", root.Root)], source);
    }
}
