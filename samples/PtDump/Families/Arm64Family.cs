using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Walkers.Images;
using Walkers.Layouts;
using Walkers.PtDump.Listings;
using Walkers.PtDump.Roots;

namespace Walkers.PtDump.Families;

/// <summary>AArch64: two roots (TTBR0_EL1, TTBR1_EL1), TCR_EL1 saying the granule and size of each half, as Linux's ptdump lists them.</summary>
internal sealed class Arm64Family : Family
{
    public const ushort MachineAArch64 = 183;

    public override string Name => "arm64";

    public override Architecture Architecture => Architecture.Arm64;

    public override ImmutableArray<ushort> Machines { get; } = [MachineAArch64];

    public override ImmutableArray<OutputFormat> Formats { get; } = [OutputFormat.Linux, OutputFormat.Json];

    public override RootScanner Scanner { get; } = new Arm64RootScanner();

    public override string Legend =>
        "AArch64 (linux, translate: the kernel's tokens): USR EL0 access (AP[1]), ro/RW read-only or writable (AP[2]), NX/x privileged execute "
        + "never (PXN), SHD inner shareable, AF accessed, NG not global, CON contiguous, BLK a block, UXN unprivileged execute never, "
        + "GP guarded (BTI), F not valid, then the memory type (MEM/NORMAL, DEVICE/nGnRE...); translate adds the effective el0/el1 rights, "
        + "table restrictions (APTable, UXNTable, PXNTable) applied.";

    public override AddressSpace? Resolve(MemoryImage image, RootOptions options, Action<string> notice)
    {
        RejectForeign(options);
        var file = options.RegisterFile is null ? null : Registers.Read(options.RegisterFile);
        ulong? Value(string? option, string optionName, string register) =>
            option is not null ? Registers.ParseHex(option, optionName) : file is not null && file.TryGetValue(register, out ulong v) ? v : null;
        ulong? ttbr0 = Value(options.Ttbr0, "--ttbr0", "TTBR0_EL1");
        ulong? ttbr1 = Value(options.Ttbr1, "--ttbr1", "TTBR1_EL1");
        ulong? tcrValue = Value(options.Tcr, "--tcr", "TCR_EL1");
        if (ttbr0 is null && ttbr1 is null)
        {
            if (tcrValue is not null)
                throw new UsageException("--tcr needs --ttbr0 and/or --ttbr1");
            if (image.Kind == ImageKind.Raw)
                throw new UsageException("a raw AArch64 image needs --ttbr0/--ttbr1 and --tcr (or --regs)");
            // QEMU's AArch64 dumps hold no system registers: find the kernel's root.
            return FromScan(image, notice);
        }
        if (tcrValue is not ulong tcrRaw)
            throw new UsageException("--ttbr0/--ttbr1 need --tcr: TCR_EL1 says each half's granule and size");
        Arm64Tcr tcr;
        try
        {
            tcr = Arm64Tcr.Decode(tcrRaw);
        }
        catch (FormatException e)
        {
            throw new BadInputException(e.Message);
        }
        var tables = new List<RootTable>();
        foreach (var (register, value, half, name, upper) in new[] { ("TTBR0_EL1", ttbr0, tcr.Lower, "lower", false), ("TTBR1_EL1", ttbr1, tcr.Upper, "upper", true) })
        {
            if (value is not ulong ttbr || !half.Enabled)
                continue;
            var layout = ReadyLayouts.ForArm64(half, tcr.Lpa2)
                ?? throw new BadInputException($"TCR_EL1 0x{tcrRaw:x}: no ready layout for the {name} half's {half.GranuleBytes / 1024}K granule with {half.VirtualAddressBits}-bit addresses{(half.VirtualAddressBits == 52 && !tcr.Lpa2 && half.GranuleBytes != 65536 ? " without LPA2 (TCR.DS = 0)" : "")}");
            var handle = upper ? layout.Upper! : layout.Lower;
            tables.Add(new RootTable(name, layout, handle, handle.Table.RootFromRegister(ttbr), register, ttbr));
        }
        if (tables.Count == 0)
            throw new BadInputException($"TCR_EL1 0x{tcrRaw:x}: the halves given are disabled (EPD0/EPD1 = 1): nothing is translated");
        string mode = tables.Count == 2 && tables[0].Layout == tables[1].Layout ? tables[0].Layout.Name : string.Join(" + ", tables.ConvertAll(t => t.Layout.Name));
        return new AddressSpace(this, mode, [.. tables], options.RegisterFile ?? "--ttbr/--tcr");
    }

    public override ListingFormat CreateFormat(OutputFormat format, AddressSpace space, OutputBuffer output, MemoryImage? image) => format switch
    {
        OutputFormat.Linux => new LinuxPtdumpFormat(output, new Arm64LinuxStyle(), image),
        _ => new JsonFormat(output, this),
    };

    public override string DescribePage(RootTable table, ulong entry, int level, InheritedFlags inherited)
    {
        ulong effective = inherited.Apply(entry);
        return $"{Arm64LinuxStyle.Tokens(entry & Arm64LinuxStyle.ProtMask).Trim()} | el0 {Rights(effective, el0: true)} el1 {Rights(effective, el0: false)}";
    }

    /// <summary>rwx of a page at EL0 or EL1 (Arm ARM D8.4: AP[2:1], UXN, PXN; EL1 never executes what EL0 may write).</summary>
    private static string Rights(ulong effective, bool el0)
    {
        bool user = (effective & Arm64Flags.ApEl0) != 0, readOnly = (effective & Arm64Flags.ApReadOnly) != 0;
        bool read = !el0 || user;
        bool write = !readOnly && (!el0 || user);
        bool execute = el0 ? (effective & Arm64Flags.Uxn) == 0 && read : (effective & Arm64Flags.Pxn) == 0 && !(user && !readOnly);
        return $"{(read ? 'r' : '-')}{(write ? 'w' : '-')}{(execute ? 'x' : '-')}";
    }

    public override ulong RunMask => Arm64LinuxStyle.ProtMask;

    public override (string Name, bool Value)[] Effective(ulong effectiveEntry)
    {
        string el0 = Rights(effectiveEntry, el0: true), el1 = Rights(effectiveEntry, el0: false);
        return [("el0_read", el0[0] == 'r'), ("el0_write", el0[1] == 'w'), ("el0_execute", el0[2] == 'x'),
            ("el1_read", el1[0] == 'r'), ("el1_write", el1[1] == 'w'), ("el1_execute", el1[2] == 'x')];
    }
}
