using System;
using System.Collections.Immutable;
using System.Linq;
using Walkers;

namespace Walkers.Layouts;

/// <summary>The architecture a ready layout belongs to.</summary>
public enum Architecture
{
    X86,
    RiscV,
    Arm64,
}

/// <summary>
/// A ready layout: its handles (the lower half, and the upper half where the architecture has one), its family's
/// entry fields, and what selects it.
/// </summary>
/// <param name="Name">4level, pae, sv39, arm64-4k-48...</param>
/// <param name="Architecture">The family.</param>
/// <param name="Description">One line for people.</param>
/// <param name="Lower">The layout struct of the table the root register points to (TTBR0's for AArch64).</param>
/// <param name="Upper">AArch64: TTBR1's layout struct; null elsewhere.</param>
/// <param name="GranuleBytes">The smallest page.</param>
public sealed record ReadyLayout(string Name, Architecture Architecture, string Description, LayoutHandle Lower, LayoutHandle? Upper, int GranuleBytes)
{
    public int VirtualAddressBits => Lower.Table.VirtualAddressBits;

    public ImmutableArray<EntryField> Fields => Architecture switch
    {
        Architecture.X86 => X86Flags.Fields,
        Architecture.RiscV => RiscVFlags.Fields,
        _ => Arm64Flags.Fields,
    };
}

/// <summary>
/// Every layout this package ships, and the choices real machines make among them: x86 by paging mode, RISC-V by
/// satp.MODE, AArch64 by TCR_EL1's granule and VA size per half.
/// </summary>
public static class ReadyLayouts
{
    private static ReadyLayout Single<TLayout, TEntry>(string name, Architecture architecture, string description)
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, System.Numerics.IBinaryInteger<TEntry>, System.Numerics.IUnsignedNumber<TEntry> =>
        new(name, architecture, description, LayoutHandle.Of<TLayout, TEntry>(name), null, 1 << TLayout.PageShift);

    private static ReadyLayout Split<TLower, TUpper>(string name, string description)
        where TLower : struct, IPageTableLayout<ulong>
        where TUpper : struct, IPageTableLayout<ulong> =>
        new(name, Architecture.Arm64, description, LayoutHandle.Of<TLower, ulong>(name), LayoutHandle.Of<TUpper, ulong>(name + "-upper"), 1 << TLower.PageShift);

    public static ReadyLayout X86Legacy { get; } = Single<Layouts.X86Legacy.Layout, uint>("legacy", Architecture.X86, "x86 32-bit paging with CR4.PSE (4M pages)");
    public static ReadyLayout X86LegacyNoPse { get; } = Single<Layouts.X86LegacyNoPse.Layout, uint>("legacy-nopse", Architecture.X86, "x86 32-bit paging without CR4.PSE");
    public static ReadyLayout X86Pae { get; } = Single<Layouts.X86Pae.Layout, ulong>("pae", Architecture.X86, "x86 PAE (3 levels, 2M pages)");
    public static ReadyLayout X86_64 { get; } = Single<Layouts.X86_64.Layout, ulong>("4level", Architecture.X86, "x86-64 4-level paging (48-bit)");
    public static ReadyLayout X86_64La57 { get; } = Single<Layouts.X86_64La57.Layout, ulong>("5level", Architecture.X86, "x86-64 5-level paging (LA57, 57-bit)");
    public static ReadyLayout Sv32 { get; } = Single<Layouts.Sv32.Layout, uint>("sv32", Architecture.RiscV, "RISC-V Sv32 (RV32, 2 levels)");
    public static ReadyLayout Sv39 { get; } = Single<Layouts.Sv39.Layout, ulong>("sv39", Architecture.RiscV, "RISC-V Sv39 (3 levels)");
    public static ReadyLayout Sv48 { get; } = Single<Layouts.Sv48.Layout, ulong>("sv48", Architecture.RiscV, "RISC-V Sv48 (4 levels)");
    public static ReadyLayout Sv57 { get; } = Single<Layouts.Sv57.Layout, ulong>("sv57", Architecture.RiscV, "RISC-V Sv57 (5 levels)");
    public static ReadyLayout Arm64_4K_39 { get; } = Split<Layouts.Arm64_4K_39.Layout, Layouts.Arm64_4K_39.UpperLayout>("arm64-4k-39", "AArch64 4K granule, 39-bit VA");
    public static ReadyLayout Arm64_4K_48 { get; } = Split<Layouts.Arm64_4K_48.Layout, Layouts.Arm64_4K_48.UpperLayout>("arm64-4k-48", "AArch64 4K granule, 48-bit VA");
    public static ReadyLayout Arm64_4K_52 { get; } = Split<Layouts.Arm64_4K_52.Layout, Layouts.Arm64_4K_52.UpperLayout>("arm64-4k-52", "AArch64 4K granule, 52-bit VA and PA (LPA2, TCR.DS = 1)");
    public static ReadyLayout Arm64_16K_36 { get; } = Split<Layouts.Arm64_16K_36.Layout, Layouts.Arm64_16K_36.UpperLayout>("arm64-16k-36", "AArch64 16K granule, 36-bit VA");
    public static ReadyLayout Arm64_16K_47 { get; } = Split<Layouts.Arm64_16K_47.Layout, Layouts.Arm64_16K_47.UpperLayout>("arm64-16k-47", "AArch64 16K granule, 47-bit VA");
    public static ReadyLayout Arm64_16K_48 { get; } = Split<Layouts.Arm64_16K_48.Layout, Layouts.Arm64_16K_48.UpperLayout>("arm64-16k-48", "AArch64 16K granule, 48-bit VA");
    public static ReadyLayout Arm64_64K_42 { get; } = Split<Layouts.Arm64_64K_42.Layout, Layouts.Arm64_64K_42.UpperLayout>("arm64-64k-42", "AArch64 64K granule, 42-bit VA");
    public static ReadyLayout Arm64_64K_48 { get; } = Split<Layouts.Arm64_64K_48.Layout, Layouts.Arm64_64K_48.UpperLayout>("arm64-64k-48", "AArch64 64K granule, 48-bit VA");
    public static ReadyLayout Arm64_64K_52 { get; } = Split<Layouts.Arm64_64K_52.Layout, Layouts.Arm64_64K_52.UpperLayout>("arm64-64k-52", "AArch64 64K granule, 52-bit VA and PA (LVA, LPA)");

    public static ImmutableArray<ReadyLayout> All { get; } =
    [
        X86Legacy, X86LegacyNoPse, X86Pae, X86_64, X86_64La57,
        Sv32, Sv39, Sv48, Sv57,
        Arm64_4K_39, Arm64_4K_48, Arm64_4K_52, Arm64_16K_36, Arm64_16K_47, Arm64_16K_48, Arm64_64K_42, Arm64_64K_48, Arm64_64K_52,
    ];

    public static ReadyLayout? Find(string name) => All.FirstOrDefault(l => l.Name == name);

    /// <summary>The RISC-V layout a satp value selects, or null for Bare (MODE 0) and unknown modes.</summary>
    /// <param name="satp">The satp CSR as read from the hart.</param>
    /// <param name="rv32">The hart is RV32: satp is 32 bits, MODE is bit 31.</param>
    public static ReadyLayout? ForSatp(ulong satp, bool rv32)
    {
        if (rv32)
            return (satp >> 31 & 1) != 0 ? Sv32 : null;
        return (int)(satp >> 60) switch
        {
            RiscVFlags.ModeSv39 => Sv39,
            RiscVFlags.ModeSv48 => Sv48,
            RiscVFlags.ModeSv57 => Sv57,
            _ => null,
        };
    }

    /// <summary>The AArch64 layout for one half's granule and VA size (LPA2 for 52-bit 4K), or null when none ships for it.</summary>
    public static ReadyLayout? ForArm64(Arm64Half half, bool lpa2) => (half.GranuleBytes, half.VirtualAddressBits) switch
    {
        (4096, 39) => Arm64_4K_39,
        (4096, 48) => Arm64_4K_48,
        (4096, 52) when lpa2 => Arm64_4K_52,
        (16384, 36) => Arm64_16K_36,
        (16384, 47) => Arm64_16K_47,
        (16384, 48) => Arm64_16K_48,
        (65536, 42) => Arm64_64K_42,
        (65536, 48) => Arm64_64K_48,
        (65536, 52) => Arm64_64K_52,
        _ => null,
    };
}
