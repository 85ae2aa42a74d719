using Walkers;

namespace Walkers.Layouts;

// RISC-V privileged spec, "Sv32/Sv39/Sv48/Sv57": V=bit 0, R=1, W=2, X=3, U=4, G=5, A=6, D=7, RSW 9:8, PPN from bit 10
// (PA = PPN << 12); Sv39+ bits 63:54 are reserved (Svpbmt / Svnapot). A valid PTE with R=W=X=0 points to the next table;
// any of R/W/X makes a leaf, at any level (megapages, gigapages...). Faults: W without R (reserved), a pointer at the
// last level (Strict), a superpage whose low PPN bits are not zero (AlignedLeaves). Permissions are the leaf's only.
// The root is satp's PPN (43:0 on RV64, 21:0 on RV32) shifted by 12; satp.MODE says which layout (RiscV.cs, ReadyLayouts).

/// <summary>RISC-V Sv39: 3 levels, 39-bit sign-extended addresses, 1 GiB and 2 MiB leaves.</summary>
[PageTable(VirtualAddressBits = 39, SignExtend = true, PresentMask = 0x1, AddressMask = 0x003F_FFFF_FFFF_FC00, AddressShift = 2,
           TableMask = 0xE, TableValue = 0, Strict = true, FaultMask = 0x6, FaultValue = 0x4, AlignedLeaves = true,
           RootMask = 0x0FFF_FFFF_FFFF, RootShift = 12)]
[PageLevel(3, Shift = 30, Entries = 512, Prot = 0x1, Leaf = true)]
[PageLevel(2, Shift = 21, Entries = 512, Prot = 0x1, Leaf = true)]
[PageLevel(1, Shift = 12, Entries = 512, Prot = 0xC7)]
public static partial class Sv39;

/// <summary>RISC-V Sv48: 4 levels, 48-bit sign-extended addresses, 512 GiB, 1 GiB and 2 MiB leaves.</summary>
[PageTable(VirtualAddressBits = 48, SignExtend = true, PresentMask = 0x1, AddressMask = 0x003F_FFFF_FFFF_FC00, AddressShift = 2,
           TableMask = 0xE, TableValue = 0, Strict = true, FaultMask = 0x6, FaultValue = 0x4, AlignedLeaves = true,
           RootMask = 0x0FFF_FFFF_FFFF, RootShift = 12)]
[PageLevel(4, Shift = 39, Entries = 512, Prot = 0x1, Leaf = true)]
[PageLevel(3, Shift = 30, Entries = 512, Prot = 0x1, Leaf = true)]
[PageLevel(2, Shift = 21, Entries = 512, Prot = 0x1, Leaf = true)]
[PageLevel(1, Shift = 12, Entries = 512, Prot = 0xC7)]
public static partial class Sv48;

/// <summary>RISC-V Sv57: 5 levels, 57-bit sign-extended addresses.</summary>
[PageTable(VirtualAddressBits = 57, SignExtend = true, PresentMask = 0x1, AddressMask = 0x003F_FFFF_FFFF_FC00, AddressShift = 2,
           TableMask = 0xE, TableValue = 0, Strict = true, FaultMask = 0x6, FaultValue = 0x4, AlignedLeaves = true,
           RootMask = 0x0FFF_FFFF_FFFF, RootShift = 12)]
[PageLevel(5, Shift = 48, Entries = 512, Prot = 0x1, Leaf = true)]
[PageLevel(4, Shift = 39, Entries = 512, Prot = 0x1, Leaf = true)]
[PageLevel(3, Shift = 30, Entries = 512, Prot = 0x1, Leaf = true)]
[PageLevel(2, Shift = 21, Entries = 512, Prot = 0x1, Leaf = true)]
[PageLevel(1, Shift = 12, Entries = 512, Prot = 0xC7)]
public static partial class Sv57;

/// <summary>RISC-V Sv32 (RV32): 2 levels, 32-bit entries holding 34-bit physical addresses, 4 MiB megapages.</summary>
[PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_FC00, AddressShift = 2,
           TableMask = 0xE, TableValue = 0, Strict = true, FaultMask = 0x6, FaultValue = 0x4, AlignedLeaves = true,
           RootMask = 0x3F_FFFF, RootShift = 12)]
[PageLevel(2, Shift = 22, Entries = 1024, Prot = 0x1, Leaf = true)]
[PageLevel(1, Shift = 12, Entries = 1024, Prot = 0xC7)]
public static partial class Sv32;
