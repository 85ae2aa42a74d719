using Walkers;

namespace Walkers.Layouts;

/// <summary>AArch64, 16 KiB granule, 36-bit VA (T0SZ = T1SZ = 28): 2 levels, 32 MiB blocks, both halves. See Arm64.cs.</summary>
[PageTable(VirtualAddressBits = 36, UpperHalf = true, TopByteIgnore = TopByteIgnore.Lower, PresentMask = 0x1,
           AddressMask = 0x0000_FFFF_FFFF_C000, TableMask = 0x2, TableValue = 0x2, Strict = true, RootMask = 0x0000_FFFF_FFFF_C000)]
[PageLevel(2, Shift = 25, Entries = 2048, Prot = 0x3, Leaf = true)]
[PageLevel(1, Shift = 14, Entries = 2048, Prot = 0x403, LeafMask = 0x2, LeafValue = 0x2)]
[Inherit(7, InheritOp.Or, TableBit = 62)]
[Inherit(6, InheritOp.AndNot, TableBit = 61)]
[Inherit(54, InheritOp.Or, TableBit = 60)]
[Inherit(53, InheritOp.Or, TableBit = 59)]
public static partial class Arm64_16K_36;
