using System;
using System.Collections.Immutable;
using Walkers.Images;
using Walkers.Layouts;
using Walkers.PtDump.Listings;
using Walkers.PtDump.Roots;

namespace Walkers.PtDump.Families;

/// <summary>RISC-V Sv32/39/48/57: the root from satp, as QEMU's <c>info mem</c> and Linux's ptdump list it.</summary>
internal sealed class RiscVFamily : Family
{
    public const ushort MachineRiscV = 243;

    public override string Name => "riscv";

    public override Architecture Architecture => Architecture.RiscV;

    public override ImmutableArray<ushort> Machines { get; } = [MachineRiscV];

    public override ImmutableArray<OutputFormat> Formats { get; } = [OutputFormat.QemuMem, OutputFormat.Linux, OutputFormat.Json];

    public override RootScanner Scanner { get; } = new RiscVRootScanner();

    public override string Legend =>
        "RISC-V (qemu-mem, translate: QEMU's letters rwxugad, '-' when clear): r read, w write, x execute, u user, g global, a accessed, d dirty; "
        + "linux: the kernel's tokens RSW D A G U X W R V, '.' when clear.";

    public override AddressSpace? Resolve(MemoryImage image, RootOptions options, Action<string> notice)
    {
        RejectForeign(options);
        ulong? satp = options.Satp is not null ? Registers.ParseHex(options.Satp, "--satp") : null;
        string source = "--satp";
        if (satp is null && options.RegisterFile is not null)
        {
            satp = Registers.Read(options.RegisterFile).TryGetValue("SATP", out ulong fromFile) ? fromFile
                : throw new BadInputException($"{options.RegisterFile}: no SATP in the register file");
            source = options.RegisterFile;
        }
        if (satp is not ulong value)
        {
            // QEMU's RISC-V dumps hold no CSRs: find the kernel's root.
            if (image.Kind == ImageKind.Raw)
                throw new UsageException("a raw RISC-V image needs --satp (or --regs)");
            return FromScan(image, notice);
        }
        bool rv32 = image.Elf is { Is64Bit: false };
        var layout = ReadyLayouts.ForSatp(value, rv32);
        if (layout is null)
        {
            ulong mode = rv32 ? value >> 31 : value >> 60;
            throw new BadInputException(mode == 0
                ? $"satp 0x{value:x}: MODE 0 (Bare): translation is off, virtual addresses are physical"
                : $"satp 0x{value:x}: MODE {mode} is not {(rv32 ? "Sv32" : "Sv39 (8), Sv48 (9) or Sv57 (10)")}");
        }
        var table = new RootTable("", layout, layout.Lower, layout.Lower.Table.RootFromRegister(value), "satp", value);
        return new AddressSpace(this, layout.Name, [table], source);
    }

    public override ListingFormat CreateFormat(OutputFormat format, AddressSpace space, OutputBuffer output, MemoryImage? image) => format switch
    {
        OutputFormat.QemuMem => new RiscVQemuMemFormat(output),
        OutputFormat.Linux => new LinuxPtdumpFormat(output, new RiscVLinuxStyle(), image),
        _ => new JsonFormat(output, this),
    };

    public override string DescribePage(RootTable table, ulong entry, int level, InheritedFlags inherited) => RiscVQemuMemFormat.Letters(entry);

    public override ulong RunMask => RiscVFlags.Valid | RiscVFlags.Read | RiscVFlags.Write | RiscVFlags.Execute | RiscVFlags.User | RiscVFlags.Global;

    public override (string Name, bool Value)[] Effective(ulong effectiveEntry) =>
        [("read", (effectiveEntry & RiscVFlags.Read) != 0), ("write", (effectiveEntry & RiscVFlags.Write) != 0),
         ("execute", (effectiveEntry & RiscVFlags.Execute) != 0), ("user", (effectiveEntry & RiscVFlags.User) != 0)];
}
