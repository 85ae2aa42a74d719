using Walkers;

namespace Walkers.Tests.Support;

// Layouts that exist only for the tests: they drive the generator through the paths the x86 samples do not take
// (a frame-number field with an address shift, a table rule with TableValue != 0, leaves at the root level,
// 32-bit entries holding 34-bit physical addresses).

/// <summary>RISC-V Sv39: 3 levels, 39-bit sign-extended VA, PPN at bit 10, leaf = any of R/W/X, leaves at every level.</summary>
[PageTable(VirtualAddressBits = 39, SignExtend = true, PresentMask = 0x1, AddressMask = 0x003F_FFFF_FFFF_FC00, AddressShift = 2,
           TableMask = 0xE, TableValue = 0)]
[PageLevel(3, Shift = 30, Entries = 512, Prot = 0x1, Leaf = true)]
[PageLevel(2, Shift = 21, Entries = 512, Prot = 0x1, Leaf = true)]
[PageLevel(1, Shift = 12, Entries = 512, Prot = 0xC7)]
public static partial class RiscVSv39;

/// <summary>RISC-V Sv32: 2 levels, 32-bit entries, 34-bit physical addresses, 4 MiB megapages at the root.</summary>
[PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_FC00, AddressShift = 2,
           TableMask = 0xE, TableValue = 0)]
[PageLevel(2, Shift = 22, Entries = 1024, Prot = 0x1, Leaf = true)]
[PageLevel(1, Shift = 12, Entries = 1024, Prot = 0xC7)]
public static partial class RiscVSv32;

/// <summary>AArch64, 4 KiB granule, 48-bit TTBR0 half (no sign extension): table descriptors have bits[1:0] = 0b11, blocks 0b01.</summary>
[PageTable(VirtualAddressBits = 48, PresentMask = 0x1, AddressMask = 0x0000_FFFF_FFFF_F000, TableMask = 0x2, TableValue = 0x2)]
[PageLevel(4, Shift = 39, Entries = 512, Prot = 0x3)]
[PageLevel(3, Shift = 30, Entries = 512, Prot = 0x3, Leaf = true)]
[PageLevel(2, Shift = 21, Entries = 512, Prot = 0x3, Leaf = true)]
[PageLevel(1, Shift = 12, Entries = 512, Prot = 0x403)]
public static partial class AArch64Granule4K;
