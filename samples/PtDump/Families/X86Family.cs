using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Collections.Immutable;
using Walkers.Images;
using Walkers.Layouts;
using Walkers.PtDump.Listings;
using Walkers.PtDump.Roots;

namespace Walkers.PtDump.Families;

/// <summary>The control registers that select x86 page tables, as QEMU's dump records them (EFER from a register file).</summary>
internal readonly record struct ControlRegisters(ulong Cr0, ulong Cr3, ulong Cr4, bool LongMode)
{
    public const ulong Cr0Paging = 1UL << 31;
    public const ulong Cr4Pse = 1UL << 4;
    public const ulong Cr4Pae = 1UL << 5;
    public const ulong Cr4La57 = 1UL << 12;
    public const ulong EferLma = 1UL << 10;

    public bool PagingEnabled => (Cr0 & Cr0Paging) != 0;

    /// <summary>QEMU's mode selection (<c>hmp_info_tlb</c>): PAE -> long mode ? (LA57 ? 5 : 4) : PAE; else legacy (PSE or not).</summary>
    public ReadyLayout Layout =>
        (Cr4 & Cr4Pae) == 0 ? (Cr4 & Cr4Pse) != 0 ? ReadyLayouts.X86Legacy : ReadyLayouts.X86LegacyNoPse
        : !LongMode ? ReadyLayouts.X86Pae
        : (Cr4 & Cr4La57) != 0 ? ReadyLayouts.X86_64La57
        : ReadyLayouts.X86_64;

    /// <summary>
    /// CR0/CR3/CR4 from the first <c>QEMU</c> note (CPU 0's QEMUCPUState: version, size, 18 u64 registers, 10 segments
    /// of 24 bytes, then <c>u64 cr[5]</c> at offset 392); long mode from <c>e_machine</c> (QEMU writes EM_X86_64 exactly
    /// when EFER.LMA is set, and the note has no EFER). Null when the dump has no such note.
    /// </summary>
    public static ControlRegisters? FromQemuNote(MemoryImage image)
    {
        if (image.Elf?.FindNote("QEMU", 0) is not ElfNote note)
            return null;
        const int CrOffset = 392;
        var descriptor = image.NoteDescriptor(note);
        if (descriptor.Length < CrOffset + 5 * 8)
            throw new ImageFormatException($"{image.Path}: the QEMU CPU note has {descriptor.Length} bytes, too few for the control registers (432 needed)");
        var cr = descriptor.Slice(CrOffset, 5 * 8);
        return new ControlRegisters(BinaryPrimitives.ReadUInt64LittleEndian(cr), BinaryPrimitives.ReadUInt64LittleEndian(cr[24..]),
            BinaryPrimitives.ReadUInt64LittleEndian(cr[32..]), image.Elf.Machine == ElfCore.MachineX86_64);
    }
}

/// <summary>x86: legacy 32-bit, PAE, 4-level and 5-level paging, as QEMU's monitor and Linux list them.</summary>
internal sealed class X86Family : Family
{
    public override string Name => "x86";

    public override Architecture Architecture => Architecture.X86;

    public override ImmutableArray<ushort> Machines { get; } = [ElfCore.MachineI386, ElfCore.MachineX86_64];

    public override ImmutableArray<OutputFormat> Formats { get; } = [OutputFormat.QemuTlb, OutputFormat.QemuMem, OutputFormat.Linux, OutputFormat.Json];

    public override RootScanner Scanner { get; } = new X86RootScanner();

    public override string Legend =>
        "x86 (qemu-tlb, translate: QEMU's print_pte letters XGPDACTUW, '-' when clear): X = NX set (no execute), G global, "
        + "P a huge page (PS), D dirty, A accessed, C cache disabled (PCD), T write-through (PWT), U user, W writable; "
        + "qemu-mem: u user, r readable (always), w writable, combined over the levels.";

    /// <summary>Mode names for --mode.</summary>
    public static readonly ImmutableDictionary<string, ReadyLayout> Modes = new Dictionary<string, ReadyLayout>
    {
        ["legacy"] = ReadyLayouts.X86Legacy,
        ["pae"] = ReadyLayouts.X86Pae,
        ["4level"] = ReadyLayouts.X86_64,
        ["5level"] = ReadyLayouts.X86_64La57,
    }.ToImmutableDictionary();

    public override AddressSpace? Resolve(MemoryImage image, RootOptions options, Action<string> notice)
    {
        RejectForeign(options);
        var registers = options.RegisterFile is null ? null : Registers.Read(options.RegisterFile);
        ulong? cr3 = options.Cr3 is null ? null : Registers.ParseHex(options.Cr3, "--cr3");
        ReadyLayout? mode = options.Mode is null ? null : Modes.GetValueOrDefault(options.Mode)
            ?? throw new UsageException($"unknown mode '{options.Mode}' (legacy, pae, 4level or 5level)");
        var note = ControlRegisters.FromQemuNote(image);
        string source = note is null ? "" : "QEMU CPU note";
        if (registers is not null)
        {
            // A register file (QEMU's 'info registers'): CR0/CR3/CR4, EFER for long mode.
            if (!registers.TryGetValue("CR3", out ulong fileCr3))
                throw new BadInputException($"{options.RegisterFile}: no CR3 in the register file");
            note = new ControlRegisters(registers.GetValueOrDefault("CR0", ControlRegisters.Cr0Paging), fileCr3, registers.GetValueOrDefault("CR4"),
                (registers.GetValueOrDefault("EFER") & ControlRegisters.EferLma) != 0);
            source = options.RegisterFile!;
        }
        if (note is ControlRegisters cpu && mode is null && !cpu.PagingEnabled)
            return null;
        if (note is null && mode is null)
        {
            if (cr3 is null && image.Kind == ImageKind.ElfCore)
                return FromScan(image, notice);
            throw new UsageException(image.Kind == ImageKind.Raw ? "a raw x86 image needs --cr3 and --mode" : "--cr3 needs --mode (the dump has no QEMU CPU note)");
        }
        if (cr3 is null && note is null)
            throw new UsageException("--mode needs --cr3 (the dump has no QEMU CPU note)");
        var layout = mode ?? note!.Value.Layout;
        // Legacy PSE comes from CR4 when there is one; Linux turns it on wherever the CPU has it.
        if (layout == ReadyLayouts.X86Legacy && note is ControlRegisters withCr4 && (withCr4.Cr4 & ControlRegisters.Cr4Pse) == 0 && mode is not null)
            layout = ReadyLayouts.X86LegacyNoPse;
        ulong register = cr3 ?? note!.Value.Cr3;
        if (cr3 is not null)
            source = "--cr3";
        var table = new RootTable("", layout, layout.Lower, layout.Lower.Table.RootFromRegister(register), "CR3", register);
        return new AddressSpace(this, layout.Name, [table], source);
    }

    public override ListingFormat CreateFormat(OutputFormat format, AddressSpace space, OutputBuffer output, MemoryImage? image) => format switch
    {
        OutputFormat.QemuTlb => new X86QemuTlbFormat(output),
        OutputFormat.QemuMem => new X86QemuMemFormat(output),
        OutputFormat.Linux => new X86LinuxFormat(output),
        _ => new JsonFormat(output, this),
    };

    /// <summary>The mode of a table by its layout.</summary>
    public static bool IsLegacy(RootTable table) => table.Table.EntryBits == 32;

    public static bool IsPae(RootTable table) => table.Layout == ReadyLayouts.X86Pae;

    public override ulong Frame(RootTable table, ulong entry, int level) =>
        IsLegacy(table) && level == 2 ? X86Flags.LegacyLargeFrame(entry) : base.Frame(table, entry, level);

    public override string DescribePage(RootTable table, ulong entry, int level, InheritedFlags inherited)
    {
        ulong effective = inherited.Apply(entry);
        return $"{X86QemuTlbFormat.Flags(level == 1 ? entry & ~X86Flags.PageSize : entry)} "
            + $"{((effective & X86Flags.User) != 0 ? 'u' : '-')}r{((effective & X86Flags.Writable) != 0 ? 'w' : '-')}{((effective & X86Flags.NoExecute) != 0 ? '-' : 'x')}";
    }

    public override ulong RunMask => X86Flags.User | X86Flags.Writable | X86Flags.WriteThrough | X86Flags.CacheDisable | X86Flags.PageSize
        | X86Flags.Global | X86Flags.NoExecute | X86Flags.LargePat;

    public override (string Name, bool Value)[] Effective(ulong effectiveEntry) =>
        [("read", true), ("write", (effectiveEntry & X86Flags.Writable) != 0), ("execute", (effectiveEntry & X86Flags.NoExecute) == 0),
         ("user", (effectiveEntry & X86Flags.User) != 0)];
}
