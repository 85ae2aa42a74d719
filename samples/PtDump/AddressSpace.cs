using System;
using System.Buffers.Binary;
using Walkers.Images;

namespace Walkers.PtDump;

/// <summary>The four x86 paging modes QEMU's monitor knows.</summary>
internal enum PagingMode
{
    /// <summary>Legacy 32-bit, 2 levels, 32-bit entries (4M pages when CR4.PSE).</summary>
    Legacy,
    /// <summary>PAE: 3 levels, 4-entry top table, 2M pages.</summary>
    Pae,
    /// <summary>IA-32e 4-level: 48-bit VA, 2M and 1G pages.</summary>
    FourLevel,
    /// <summary>IA-32e 5-level (LA57): 57-bit VA.</summary>
    FiveLevel,
}

/// <summary>The control registers that select the page tables, as QEMU's dump records them.</summary>
internal readonly record struct ControlRegisters(ulong Cr0, ulong Cr3, ulong Cr4, bool LongMode)
{
    public const ulong Cr0Paging = 1UL << 31;
    public const ulong Cr4Pse = 1UL << 4;
    public const ulong Cr4Pae = 1UL << 5;
    public const ulong Cr4La57 = 1UL << 12;

    public bool PagingEnabled => (Cr0 & Cr0Paging) != 0;

    /// <summary>QEMU's mode selection (<c>hmp_info_tlb</c>): PAE → long mode ? (LA57 ? 5 : 4) : PAE; else legacy.</summary>
    public PagingMode Mode =>
        (Cr4 & Cr4Pae) == 0 ? PagingMode.Legacy
        : !LongMode ? PagingMode.Pae
        : (Cr4 & Cr4La57) != 0 ? PagingMode.FiveLevel
        : PagingMode.FourLevel;

    public bool Pse => (Cr4 & Cr4Pse) != 0;

    /// <summary>
    /// Reads CR0/CR3/CR4 from the first <c>QEMU</c> note (CPU 0's QEMUCPUState: version, size, 18 u64 registers,
    /// 10 segments of 24 bytes, then <c>u64 cr[5]</c> at offset 392). Long mode comes from <c>e_machine</c>:
    /// QEMU writes EM_X86_64 exactly when EFER.LMA is set (the note has no EFER).
    /// </summary>
    /// <exception cref="ImageFormatException">No such note, or one too short to hold the registers.</exception>
    public static ControlRegisters FromQemuNote(MemoryImage image)
    {
        var elf = image.Elf ?? throw new ImageFormatException($"{image.Path}: a raw image has no CPU state: give --cr3 and --mode");
        var note = elf.FindNote("QEMU", 0)
            ?? throw new ImageFormatException($"{image.Path}: no QEMU CPU note (not a QEMU dump-guest-memory core?): give --cr3 and --mode");
        const int CrOffset = 392;
        var descriptor = image.NoteDescriptor(note);
        if (descriptor.Length < CrOffset + 5 * 8)
            throw new ImageFormatException($"{image.Path}: the QEMU CPU note has {descriptor.Length} bytes, too few for the control registers (432 needed)");
        var cr = descriptor.Slice(CrOffset, 5 * 8);
        return new ControlRegisters(BinaryPrimitives.ReadUInt64LittleEndian(cr), BinaryPrimitives.ReadUInt64LittleEndian(cr[24..]),
            BinaryPrimitives.ReadUInt64LittleEndian(cr[32..]), elf.Machine == ElfCore.MachineX86_64);
    }
}

/// <summary>What one listing walks: the mode, the root table and the virtual range.</summary>
internal sealed record AddressSpace(PagingMode Mode, bool Pse, ulong Cr3)
{
    /// <summary>The root table's physical address, masked as QEMU masks CR3.</summary>
    public ulong Root => Mode switch
    {
        PagingMode.Legacy => Cr3 & 0xffff_f000,
        PagingMode.Pae => Cr3 & 0xffff_ffe0, // the PDPT is 32-byte aligned, not page aligned
        _ => Cr3 & 0x3_ffff_ffff_f000,
    };

    public int VirtualAddressBits => Mode switch
    {
        PagingMode.FourLevel => 48,
        PagingMode.FiveLevel => 57,
        _ => 32,
    };

    public bool Is64BitVirtual => Mode is PagingMode.FourLevel or PagingMode.FiveLevel;

    public ulong LinearMask => (1UL << VirtualAddressBits) - 1;

    /// <summary>What an end address is shown with: 32-bit modes wrap at 4 GiB like a 32-bit kernel's own dump.</summary>
    public ulong DisplayMask => Is64BitVirtual ? ulong.MaxValue : 0xffff_ffff;

    public static string Name(PagingMode mode) => mode switch
    {
        PagingMode.Legacy => "legacy",
        PagingMode.Pae => "pae",
        PagingMode.FourLevel => "4level",
        PagingMode.FiveLevel => "5level",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    public static PagingMode? Parse(string name) => name switch
    {
        "legacy" => PagingMode.Legacy,
        "pae" => PagingMode.Pae,
        "4level" => PagingMode.FourLevel,
        "5level" => PagingMode.FiveLevel,
        _ => null,
    };
}
