using System;

namespace Walkers.Layouts;

/// <summary>One half's settings in TCR_EL1: its granule, VA size, whether it is walked, top-byte-ignore, hierarchical permissions.</summary>
/// <param name="GranuleBytes">4096, 16384 or 65536.</param>
/// <param name="VirtualAddressBits">64 - TnSZ.</param>
/// <param name="Enabled">EPDn = 0: walks happen (else every access faults).</param>
/// <param name="TopByteIgnore">TBIn.</param>
/// <param name="HierarchicalPermissionsDisabled">HPDn (FEAT_HPDS): APTable/XNTable are ignored.</param>
public readonly record struct Arm64Half(int GranuleBytes, int VirtualAddressBits, bool Enabled, bool TopByteIgnore, bool HierarchicalPermissionsDisabled);

/// <summary>
/// TCR_EL1 decoded (Arm ARM D19.2 TCR_EL1): what each half translates with, and the global bits that matter to a walk
/// (DS: 52-bit LPA2 format; HA: hardware access flag; IPS: physical address size).
/// </summary>
public readonly record struct Arm64Tcr(ulong Value, Arm64Half Lower, Arm64Half Upper, bool Lpa2, bool HardwareAccessFlag, int PhysicalAddressBits)
{
    /// <summary>Decodes a TCR_EL1 value. Throws <see cref="FormatException"/> for a granule encoding that does not exist (TG0 = 3, TG1 = 0) or a size out of range.</summary>
    public static Arm64Tcr Decode(ulong tcr)
    {
        int t0sz = (int)(tcr & 0x3F), t1sz = (int)((tcr >> 16) & 0x3F);
        int tg0 = (int)((tcr >> 14) & 3), tg1 = (int)((tcr >> 30) & 3);
        int granule0 = tg0 switch
        {
            0 => 4096,
            1 => 65536,
            2 => 16384,
            _ => throw new FormatException($"TCR_EL1 0x{tcr:x}: TG0 = 3 names no granule (reserved)"),
        };
        int granule1 = tg1 switch
        {
            1 => 16384,
            2 => 4096,
            3 => 65536,
            _ => throw new FormatException($"TCR_EL1 0x{tcr:x}: TG1 = 0 names no granule (reserved)"),
        };
        foreach (var (name, size) in new[] { ("T0SZ", t0sz), ("T1SZ", t1sz) })
        {
            if (size is < 12 or > 48)
                throw new FormatException($"TCR_EL1 0x{tcr:x}: {name} = {size} gives {64 - size}-bit addresses; AArch64 has 16 to 52");
        }
        int ips = (int)((tcr >> 32) & 7);
        int paBits = ips switch { 0 => 32, 1 => 36, 2 => 40, 3 => 42, 4 => 44, 5 => 48, 6 => 52, _ => 56 };
        bool Bit(int n) => (tcr >> n & 1) != 0;
        return new Arm64Tcr(tcr,
            new Arm64Half(granule0, 64 - t0sz, !Bit(7), Bit(37), Bit(41)),
            new Arm64Half(granule1, 64 - t1sz, !Bit(23), Bit(38), Bit(42)),
            Lpa2: Bit(59), HardwareAccessFlag: Bit(39), PhysicalAddressBits: paBits);
    }
}
