using Walkers;

namespace Walkers.Layouts;

// AArch64 VMSAv8-64 stage 1 (Arm ARM D8): descriptor bits[1:0]: 0bx0 invalid, 0b11 a table above the last level and a
// page at it, 0b01 a block at the levels that have blocks, a fault elsewhere (Strict; level 1's leaf rule 0b10/0b10).
// Leaf attributes: AttrIndx 4:2, NS 5, AP 7:6, SH 9:8, AF 10, nG 11, DBM 51, Contiguous 52, PXN 53, UXN 54; table
// attributes PXNTable 59, UXNTable 60, APTable 62:61, NSTable 63, which restrict everything below them ([Inherit]:
// APTable[1] makes AP[2] read-only, APTable[0] takes EL0 access, AP[1], away). Output address bits 47:(granule), and
// for 52-bit PAs a second field: OA[51:48] in bits 15:12 with the 64 KiB granule (FEAT_LPA), OA[51:50] in bits 9:8
// with 4 KiB / 16 KiB and TCR.DS = 1 (FEAT_LPA2, which moves SH to TCR). Roots: TTBRn BADDR with ASID (63:48) and CnP
// (bit 0) dropped, TTBR[5:2] = PA[51:48] for 52-bit PAs. Each layout has both halves: Layout is TTBR0's, UpperLayout
// TTBR1's. The top byte of lower-half addresses is ignored (TBI0 = 1, as Linux runs user space). AF = 0 is not a fault
// here (TCR.HA = 1 or not, the page is mapped); a layout that wants it adds bit 10 to the leaf rules.
// Which one a TCR_EL1 selects: Arm64Tcr and ReadyLayouts.

/// <summary>AArch64, 4 KiB granule, 39-bit VA (T0SZ = T1SZ = 25): 3 levels, 1 GiB and 2 MiB blocks, both halves.</summary>
[PageTable(VirtualAddressBits = 39, UpperHalf = true, TopByteIgnore = TopByteIgnore.Lower, PresentMask = 0x1,
           AddressMask = 0x0000_FFFF_FFFF_F000, TableMask = 0x2, TableValue = 0x2, Strict = true, RootMask = 0x0000_FFFF_FFFF_F000)]
[PageLevel(3, Shift = 30, Entries = 512, Prot = 0x3, Leaf = true)]
[PageLevel(2, Shift = 21, Entries = 512, Prot = 0x3, Leaf = true)]
[PageLevel(1, Shift = 12, Entries = 512, Prot = 0x403, LeafMask = 0x2, LeafValue = 0x2)]
[Inherit(7, InheritOp.Or, TableBit = 62)]
[Inherit(6, InheritOp.AndNot, TableBit = 61)]
[Inherit(54, InheritOp.Or, TableBit = 60)]
[Inherit(53, InheritOp.Or, TableBit = 59)]
public static partial class Arm64_4K_39;

/// <summary>AArch64, 4 KiB granule, 48-bit VA (T0SZ = T1SZ = 16): 4 levels, 1 GiB and 2 MiB blocks, both halves (Linux's default).</summary>
[PageTable(VirtualAddressBits = 48, UpperHalf = true, TopByteIgnore = TopByteIgnore.Lower, PresentMask = 0x1,
           AddressMask = 0x0000_FFFF_FFFF_F000, TableMask = 0x2, TableValue = 0x2, Strict = true, RootMask = 0x0000_FFFF_FFFF_F000)]
[PageLevel(4, Shift = 39, Entries = 512, Prot = 0x3)]
[PageLevel(3, Shift = 30, Entries = 512, Prot = 0x3, Leaf = true)]
[PageLevel(2, Shift = 21, Entries = 512, Prot = 0x3, Leaf = true)]
[PageLevel(1, Shift = 12, Entries = 512, Prot = 0x403, LeafMask = 0x2, LeafValue = 0x2)]
[Inherit(7, InheritOp.Or, TableBit = 62)]
[Inherit(6, InheritOp.AndNot, TableBit = 61)]
[Inherit(54, InheritOp.Or, TableBit = 60)]
[Inherit(53, InheritOp.Or, TableBit = 59)]
public static partial class Arm64_4K_48;

/// <summary>
/// AArch64, 4 KiB granule, 52-bit VA and PA with FEAT_LPA2 (TCR.DS = 1, T0SZ = T1SZ = 12): 5 levels (a 16-entry level -1),
/// 512 GiB, 1 GiB and 2 MiB blocks, OA[51:50] in bits 9:8, both halves.
/// </summary>
[PageTable(VirtualAddressBits = 52, UpperHalf = true, TopByteIgnore = TopByteIgnore.Lower, PresentMask = 0x1,
           AddressMask = 0x0003_FFFF_FFFF_F000, HighAddressMask = 0x300, HighAddressShift = 42,
           TableMask = 0x2, TableValue = 0x2, Strict = true,
           RootMask = 0x0000_FFFF_FFFF_FFC0, RootHighMask = 0x3C, RootHighShift = 46)]
[PageLevel(5, Shift = 48, Entries = 16, Prot = 0x3)]
[PageLevel(4, Shift = 39, Entries = 512, Prot = 0x3, Leaf = true)]
[PageLevel(3, Shift = 30, Entries = 512, Prot = 0x3, Leaf = true)]
[PageLevel(2, Shift = 21, Entries = 512, Prot = 0x3, Leaf = true)]
[PageLevel(1, Shift = 12, Entries = 512, Prot = 0x403, LeafMask = 0x2, LeafValue = 0x2)]
[Inherit(7, InheritOp.Or, TableBit = 62)]
[Inherit(6, InheritOp.AndNot, TableBit = 61)]
[Inherit(54, InheritOp.Or, TableBit = 60)]
[Inherit(53, InheritOp.Or, TableBit = 59)]
public static partial class Arm64_4K_52;

/// <summary>AArch64, 16 KiB granule, 47-bit VA (T0SZ = T1SZ = 17): 3 levels, 32 MiB blocks, both halves.</summary>
[PageTable(VirtualAddressBits = 47, UpperHalf = true, TopByteIgnore = TopByteIgnore.Lower, PresentMask = 0x1,
           AddressMask = 0x0000_FFFF_FFFF_C000, TableMask = 0x2, TableValue = 0x2, Strict = true, RootMask = 0x0000_FFFF_FFFF_C000)]
[PageLevel(3, Shift = 36, Entries = 2048, Prot = 0x3)]
[PageLevel(2, Shift = 25, Entries = 2048, Prot = 0x3, Leaf = true)]
[PageLevel(1, Shift = 14, Entries = 2048, Prot = 0x403, LeafMask = 0x2, LeafValue = 0x2)]
[Inherit(7, InheritOp.Or, TableBit = 62)]
[Inherit(6, InheritOp.AndNot, TableBit = 61)]
[Inherit(54, InheritOp.Or, TableBit = 60)]
[Inherit(53, InheritOp.Or, TableBit = 59)]
public static partial class Arm64_16K_47;

/// <summary>AArch64, 16 KiB granule, 48-bit VA (T0SZ = T1SZ = 16): 4 levels with a 2-entry top table, 32 MiB blocks, both halves.</summary>
[PageTable(VirtualAddressBits = 48, UpperHalf = true, TopByteIgnore = TopByteIgnore.Lower, PresentMask = 0x1,
           AddressMask = 0x0000_FFFF_FFFF_C000, TableMask = 0x2, TableValue = 0x2, Strict = true, RootMask = 0x0000_FFFF_FFFF_FFC0)]
[PageLevel(4, Shift = 47, Entries = 2, Prot = 0x3)]
[PageLevel(3, Shift = 36, Entries = 2048, Prot = 0x3)]
[PageLevel(2, Shift = 25, Entries = 2048, Prot = 0x3, Leaf = true)]
[PageLevel(1, Shift = 14, Entries = 2048, Prot = 0x403, LeafMask = 0x2, LeafValue = 0x2)]
[Inherit(7, InheritOp.Or, TableBit = 62)]
[Inherit(6, InheritOp.AndNot, TableBit = 61)]
[Inherit(54, InheritOp.Or, TableBit = 60)]
[Inherit(53, InheritOp.Or, TableBit = 59)]
public static partial class Arm64_16K_48;

// The 64 KiB granule keeps OA[51:48] in bits 15:12 and TTBR[5:2] (FEAT_LPA); without a 52-bit PA those bits are RES0,
// so one description serves both.

/// <summary>AArch64, 64 KiB granule, 42-bit VA (T0SZ = T1SZ = 22): 2 levels, 512 MiB blocks, both halves.</summary>
[PageTable(VirtualAddressBits = 42, UpperHalf = true, TopByteIgnore = TopByteIgnore.Lower, PresentMask = 0x1,
           AddressMask = 0x0000_FFFF_FFFF_0000, HighAddressMask = 0xF000, HighAddressShift = 36,
           TableMask = 0x2, TableValue = 0x2, Strict = true,
           RootMask = 0x0000_FFFF_FFFF_0000, RootHighMask = 0x3C, RootHighShift = 46)]
[PageLevel(2, Shift = 29, Entries = 8192, Prot = 0x3, Leaf = true)]
[PageLevel(1, Shift = 16, Entries = 8192, Prot = 0x403, LeafMask = 0x2, LeafValue = 0x2)]
[Inherit(7, InheritOp.Or, TableBit = 62)]
[Inherit(6, InheritOp.AndNot, TableBit = 61)]
[Inherit(54, InheritOp.Or, TableBit = 60)]
[Inherit(53, InheritOp.Or, TableBit = 59)]
public static partial class Arm64_64K_42;

/// <summary>AArch64, 64 KiB granule, 48-bit VA (T0SZ = T1SZ = 16): 3 levels with a 64-entry top table, 512 MiB blocks, both halves.</summary>
[PageTable(VirtualAddressBits = 48, UpperHalf = true, TopByteIgnore = TopByteIgnore.Lower, PresentMask = 0x1,
           AddressMask = 0x0000_FFFF_FFFF_0000, HighAddressMask = 0xF000, HighAddressShift = 36,
           TableMask = 0x2, TableValue = 0x2, Strict = true,
           RootMask = 0x0000_FFFF_FFFF_FFC0, RootHighMask = 0x3C, RootHighShift = 46)]
[PageLevel(3, Shift = 42, Entries = 64, Prot = 0x3)]
[PageLevel(2, Shift = 29, Entries = 8192, Prot = 0x3, Leaf = true)]
[PageLevel(1, Shift = 16, Entries = 8192, Prot = 0x403, LeafMask = 0x2, LeafValue = 0x2)]
[Inherit(7, InheritOp.Or, TableBit = 62)]
[Inherit(6, InheritOp.AndNot, TableBit = 61)]
[Inherit(54, InheritOp.Or, TableBit = 60)]
[Inherit(53, InheritOp.Or, TableBit = 59)]
public static partial class Arm64_64K_48;

/// <summary>AArch64, 64 KiB granule, 52-bit VA and PA (FEAT_LVA + FEAT_LPA, T0SZ = T1SZ = 12): 3 levels, 4 TiB and 512 MiB blocks, both halves.</summary>
[PageTable(VirtualAddressBits = 52, UpperHalf = true, TopByteIgnore = TopByteIgnore.Lower, PresentMask = 0x1,
           AddressMask = 0x0000_FFFF_FFFF_0000, HighAddressMask = 0xF000, HighAddressShift = 36,
           TableMask = 0x2, TableValue = 0x2, Strict = true,
           RootMask = 0x0000_FFFF_FFFF_E000, RootHighMask = 0x3C, RootHighShift = 46)]
[PageLevel(3, Shift = 42, Entries = 1024, Prot = 0x3, Leaf = true)]
[PageLevel(2, Shift = 29, Entries = 8192, Prot = 0x3, Leaf = true)]
[PageLevel(1, Shift = 16, Entries = 8192, Prot = 0x403, LeafMask = 0x2, LeafValue = 0x2)]
[Inherit(7, InheritOp.Or, TableBit = 62)]
[Inherit(6, InheritOp.AndNot, TableBit = 61)]
[Inherit(54, InheritOp.Or, TableBit = 60)]
[Inherit(53, InheritOp.Or, TableBit = 59)]
public static partial class Arm64_64K_52;
