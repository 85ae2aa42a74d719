using System.Collections.Immutable;
using System.Globalization;
using Walkers.Layouts;
using Walkers.PtDump.Families;

namespace Walkers.PtDump;

/// <summary>One root table of an address space: which half, its layout, its root and the register it came from.</summary>
/// <param name="Half">"" for a layout with one root, "lower" / "upper" for AArch64's TTBR0 / TTBR1.</param>
/// <param name="Layout">The ready layout (the mode).</param>
/// <param name="Handle">The layout struct of this table (AArch64: the lower or the upper half's).</param>
/// <param name="Root">The root table's physical address.</param>
/// <param name="Register">The register's name (CR3, satp, TTBR1_EL1) or how the root was found ("scan").</param>
/// <param name="RegisterValue">The register's value as given (the root itself for a scan).</param>
internal sealed record RootTable(string Half, ReadyLayout Layout, LayoutHandle Handle, ulong Root, string Register, ulong RegisterValue)
{
    public LevelTable Table => Handle.Table;

    /// <summary>The addresses this table translates, as an inclusive range.</summary>
    public (ulong First, ulong Last) Span => Table.Half switch
    {
        AddressHalf.High => (~((1UL << Table.VirtualAddressBits) - 1), ulong.MaxValue),
        AddressHalf.SignExtended => (0, ulong.MaxValue),
        _ => (0, Table.VirtualAddressBits >= 64 ? ulong.MaxValue : (1UL << Table.VirtualAddressBits) - 1),
    };

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{(Half.Length > 0 ? Half + " half: " : "")}{Register}=0x{RegisterValue:x} -> root 0x{Root:x} ({Layout.Name})");
}

/// <summary>What a listing walks: the family, its mode, the root tables in address order, and where the roots came from.</summary>
internal sealed record AddressSpace(Family Family, string Mode, ImmutableArray<RootTable> Tables, string Source)
{
    /// <summary>Addresses are 64-bit (x86-64, RV64, AArch64) rather than 32-bit.</summary>
    public bool Is64Bit => Tables[0].Table.VirtualAddressBits > 32 || Tables[0].Table.Half != AddressHalf.Low;
}

/// <summary>The root registers the command line gave, as text (parsed by the family that needs them).</summary>
internal sealed record RootOptions(string? Arch, string? Cr3, string? Mode, string? Satp, string? Ttbr0, string? Ttbr1, string? Tcr, string? RegisterFile)
{
    public bool GivesX86 => Cr3 is not null || Mode is not null;
    public bool GivesRiscV => Satp is not null;
    public bool GivesArm64 => Ttbr0 is not null || Ttbr1 is not null || Tcr is not null;
    public bool GivesAny => GivesX86 || GivesRiscV || GivesArm64 || RegisterFile is not null;
}
