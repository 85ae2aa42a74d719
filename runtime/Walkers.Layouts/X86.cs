using Walkers;

namespace Walkers.Layouts;

// x86 entry bits (Intel SDM vol. 3, 4.x): P=0x1, RW=0x2, US=0x4, PWT=0x8, PCD=0x10, A=0x20, D=0x40, PS=0x80 (huge page at
// levels that allow one; PAT at level 1), G=0x100, PAT of a huge page=0x1000, NX=bit 63. Prot values are mini-os's:
// level-1 pages present, writable, accessed; tables also user and dirty, so that the leaf decides; PAE PDPTEs only take
// the present bit. The root is CR3 with the PCID / flag bits (11:0) and bit 63 dropped. As QEMU reads them, a present
// entry at a level without pages is a table whatever its PS bit says, and reserved bits are not checked (no Strict).
// Writable and user only when every level says so, no-execute when any does ([Inherit]).

/// <summary>x86-64 4-level paging (IA-32e): 48-bit canonical addresses, 1 GiB pages at level 3, 2 MiB at level 2.</summary>
[PageTable(VirtualAddressBits = 48, SignExtend = true, PresentMask = 0x1, AddressMask = 0x000F_FFFF_FFFF_F000,
           TableMask = 0x80, TableValue = 0, RootMask = 0x000F_FFFF_FFFF_F000)]
[PageLevel(4, Shift = 39, Entries = 512, Prot = 0x67)]
[PageLevel(3, Shift = 30, Entries = 512, Prot = 0x67, Leaf = true)]
[PageLevel(2, Shift = 21, Entries = 512, Prot = 0x67, Leaf = true)]
[PageLevel(1, Shift = 12, Entries = 512, Prot = 0x23)]
[Inherit(1, InheritOp.And)]
[Inherit(2, InheritOp.And)]
[Inherit(63, InheritOp.Or)]
public static partial class X86_64;

/// <summary>x86-64 5-level paging (LA57): 57-bit canonical addresses.</summary>
[PageTable(VirtualAddressBits = 57, SignExtend = true, PresentMask = 0x1, AddressMask = 0x000F_FFFF_FFFF_F000,
           TableMask = 0x80, TableValue = 0, RootMask = 0x000F_FFFF_FFFF_F000)]
[PageLevel(5, Shift = 48, Entries = 512, Prot = 0x67)]
[PageLevel(4, Shift = 39, Entries = 512, Prot = 0x67)]
[PageLevel(3, Shift = 30, Entries = 512, Prot = 0x67, Leaf = true)]
[PageLevel(2, Shift = 21, Entries = 512, Prot = 0x67, Leaf = true)]
[PageLevel(1, Shift = 12, Entries = 512, Prot = 0x23)]
[Inherit(1, InheritOp.And)]
[Inherit(2, InheritOp.And)]
[Inherit(63, InheritOp.Or)]
public static partial class X86_64La57;

/// <summary>x86 PAE: 32-bit addresses, 64-bit entries, a 4-entry top table (32-byte aligned: CR3 &amp; ~0x1f), 2 MiB pages at level 2.</summary>
[PageTable(VirtualAddressBits = 32, PresentMask = 0x1, AddressMask = 0x000F_FFFF_FFFF_F000,
           TableMask = 0x80, TableValue = 0, RootMask = 0xFFFF_FFE0)]
[PageLevel(3, Shift = 30, Entries = 4, Prot = 0x1, NoPermissions = true)]
[PageLevel(2, Shift = 21, Entries = 512, Prot = 0x67, Leaf = true)]
[PageLevel(1, Shift = 12, Entries = 512, Prot = 0x23)]
[Inherit(1, InheritOp.And)]
[Inherit(2, InheritOp.And)]
[Inherit(63, InheritOp.Or)]
public static partial class X86Pae;

/// <summary>Legacy 32-bit x86 with CR4.PSE: 32-bit entries, 4 MiB pages at level 2.</summary>
[PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000,
           TableMask = 0x80, TableValue = 0, RootMask = 0xFFFF_F000)]
[PageLevel(2, Shift = 22, Entries = 1024, Prot = 0x67, Leaf = true)]
[PageLevel(1, Shift = 12, Entries = 1024, Prot = 0x23)]
[Inherit(1, InheritOp.And)]
[Inherit(2, InheritOp.And)]
public static partial class X86Legacy;

/// <summary>Legacy 32-bit x86 without CR4.PSE: the PS bit is ignored, every present directory entry is a table.</summary>
[PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000,
           TableMask = 0x80, TableValue = 0, RootMask = 0xFFFF_F000)]
[PageLevel(2, Shift = 22, Entries = 1024, Prot = 0x67)]
[PageLevel(1, Shift = 12, Entries = 1024, Prot = 0x23)]
[Inherit(1, InheritOp.And)]
[Inherit(2, InheritOp.And)]
public static partial class X86LegacyNoPse;
