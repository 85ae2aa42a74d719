using System;

namespace Walkers;

/// <summary>
/// Describes the entry format of a page-table layout. Put it on a partial type together with one
/// <see cref="PageLevelAttribute"/> per level (and <see cref="InheritAttribute"/>s where table entries restrict
/// what lies below them); the Walkers generator emits the walkers for it. Every argument but
/// <see cref="VirtualAddressBits"/>, <see cref="PresentMask"/> and <see cref="AddressMask"/> is optional:
/// the defaults describe an x86-like format. docs/layouts.md has one worked example per architecture.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class PageTableAttribute : Attribute
{
    /// <summary>Width of a virtual address; must equal the top level's shift plus log2 of its entries.</summary>
    public int VirtualAddressBits { get; set; }

    /// <summary>
    /// Virtual addresses are sign-extended from their top bit (x86-64, RISC-V): one root table covers a low and a
    /// high half, and the walk skips the non-canonical hole between them.
    /// </summary>
    public bool SignExtend { get; set; }

    /// <summary>
    /// The layout has a second, upper half with a root of its own (AArch64 TTBR1): the top
    /// 2^<see cref="VirtualAddressBits"/> bytes, the addresses with every bit above the VA bits set. The generator
    /// then emits an <c>UpperLayout</c> beside <c>Layout</c>, and entry points over both roots
    /// (<see cref="PageTableRoots"/>).
    /// </summary>
    public bool UpperHalf { get; set; }

    /// <summary>
    /// Top-byte-ignore (AArch64 TBI0 / TBI1): in the halves named, bits 63:56 of an address given to a lookup
    /// or an operation are a tag and ignored; bit 55 picks the half. Walks hand out untagged addresses.
    /// </summary>
    public TopByteIgnore TopByteIgnore { get; set; }

    /// <summary>Width of one entry: 64 (default) or 32 (legacy x86, RISC-V Sv32).</summary>
    public int EntryBits { get; set; } = 64;

    /// <summary>An entry is present when any of these bits is set.</summary>
    public ulong PresentMask { get; set; }

    /// <summary>The bits of an entry that hold the next table's or the frame's address (or frame number).</summary>
    public ulong AddressMask { get; set; }

    /// <summary>Left shift from <c>entry &amp; AddressMask</c> to the physical address (RISC-V keeps a frame number at bit 10: 2).</summary>
    public int AddressShift { get; set; }

    /// <summary>
    /// A second address field, for output addresses wider than the first one (AArch64 52-bit PA: OA[51:48] in
    /// bits 15:12 with the 64 KiB granule, OA[51:50] in bits 9:8 with LPA2). The address is
    /// <c>((e &amp; AddressMask) &lt;&lt; AddressShift) | ((e &amp; HighAddressMask) &lt;&lt; HighAddressShift)</c>.
    /// </summary>
    public ulong HighAddressMask { get; set; }

    /// <summary>Left shift from <c>entry &amp; HighAddressMask</c> to its physical address bits (AArch64 64 KiB LPA: 36).</summary>
    public int HighAddressShift { get; set; }

    /// <summary>A present entry above level 1 points to a table when <c>(entry &amp; TableMask) == TableValue</c>.</summary>
    public ulong TableMask { get; set; }

    /// <summary>See <see cref="TableMask"/>.</summary>
    public ulong TableValue { get; set; }

    /// <summary>
    /// Present entries that fit no rule are faults (AArch64, RISC-V): at a level without pages, an entry not shaped
    /// like a table; at level 1, one that does not match the level's leaf rule (RISC-V: a pointer; see
    /// <see cref="PageLevelAttribute.LeafMask"/>). Without it (x86, as QEMU reads it) a present entry at a level
    /// without pages is a table whatever its table bits say, and every present level-1 entry is a page.
    /// </summary>
    public bool Strict { get; set; }

    /// <summary>A present entry with <c>(entry &amp; FaultMask) == FaultValue</c> is a fault at every level (RISC-V: W without R). 0: none.</summary>
    public ulong FaultMask { get; set; }

    /// <summary>See <see cref="FaultMask"/>.</summary>
    public ulong FaultValue { get; set; }

    /// <summary>A leaf above level 1 whose frame address is not aligned to its page size is a fault (RISC-V misaligned superpage).</summary>
    public bool AlignedLeaves { get; set; }

    /// <summary>
    /// How the root register becomes the root table's address:
    /// <c>((reg &amp; RootMask) &lt;&lt; RootShift) | ((reg &amp; RootHighMask) &lt;&lt; RootHighShift)</c>. x86-64 CR3:
    /// bits 51:12; RISC-V satp: PPN 43:0, shift 12; AArch64 TTBRn: BADDR (ASID and CnP dropped). 0: the register
    /// holds the address as it is.
    /// </summary>
    public ulong RootMask { get; set; }

    /// <summary>See <see cref="RootMask"/> (RISC-V satp: 12).</summary>
    public int RootShift { get; set; }

    /// <summary>A second field of the root register (AArch64 52-bit PA: TTBR[5:2] holds PA[51:48]). See <see cref="RootMask"/>.</summary>
    public ulong RootHighMask { get; set; }

    /// <summary>See <see cref="RootHighMask"/> (AArch64: 46).</summary>
    public int RootHighShift { get; set; }
}

/// <summary>One level of a page-table layout: the mini-os <c>ptdata[]</c> row.</summary>
/// <param name="level">1 is the lowest level (pages), N the table the root register points to.</param>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = false)]
public sealed class PageLevelAttribute(int level) : Attribute
{
    /// <summary>1 is the lowest level (pages), N the table the root register points to.</summary>
    public int Level { get; } = level;

    /// <summary>log2 of the size of the region one entry at this level covers.</summary>
    public int Shift { get; set; }

    /// <summary>Entries per table at this level (a power of two).</summary>
    public int Entries { get; set; }

    /// <summary>Default flags of an entry at this level (mini-os <c>ptdata[].prot</c>): written with the address when a table is allocated below it; at level 1, the default page flags.</summary>
    public ulong Prot { get; set; }

    /// <summary>A present entry at this level may be a leaf (huge/block page). Level 1 entries are always leaves.</summary>
    public bool Leaf { get; set; }

    /// <summary>
    /// A leaf at this level must have <c>(entry &amp; LeafMask) == LeafValue</c>; a present entry that is neither a
    /// table nor such a leaf is a fault (AArch64 level 1: page descriptors are <c>0b11</c>, so <c>LeafMask = 0b10,
    /// LeafValue = 0b10</c>; add AF, bit 10, to both where TCR.HA = 0 makes AF = 0 a fault). 0: any entry not shaped
    /// like a table is a leaf.
    /// </summary>
    public ulong LeafMask { get; set; }

    /// <summary>See <see cref="LeafMask"/>.</summary>
    public ulong LeafValue { get; set; }

    /// <summary>Entries at this level hold no permission bits, so <see cref="InheritAttribute"/> rules skip them (x86 PAE PDPTEs).</summary>
    public bool NoPermissions { get; set; }
}

/// <summary>
/// A bit of table entries that restricts every page below them, for the effective permissions of a page
/// (<see cref="IPageTableLayout{TEntry}.Inherit"/>): x86 <c>[Inherit(1, InheritOp.And)]</c> (writable only if every
/// level says so), <c>[Inherit(63, InheritOp.Or)]</c> (no-execute if any level says so); AArch64
/// <c>[Inherit(7, InheritOp.Or, TableBit = 62)]</c> (APTable[1] makes AP[2] read-only).
/// </summary>
/// <param name="bit">The bit of a leaf that the rule changes.</param>
/// <param name="op">How the table entry's bit combines with it.</param>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = false)]
public sealed class InheritAttribute(int bit, InheritOp op) : Attribute
{
    /// <summary>The bit of a leaf that the rule changes.</summary>
    public int Bit { get; } = bit;

    /// <summary>How the table entry's bit combines with the leaf's.</summary>
    public InheritOp Op { get; } = op;

    /// <summary>The bit of table entries that restricts it; -1 (default): the same position as <see cref="Bit"/>.</summary>
    public int TableBit { get; set; } = -1;
}

/// <summary>How a table entry's bit combines with a leaf's (see <see cref="InheritAttribute"/>).</summary>
public enum InheritOp
{
    /// <summary>The leaf's bit counts only when every table entry above it has the table bit set (x86 R/W, U/S).</summary>
    And,

    /// <summary>The leaf's bit counts as set when any table entry above it has the table bit set (x86 NX; AArch64 UXNTable, PXNTable, APTable[1]).</summary>
    Or,

    /// <summary>The leaf's bit counts as clear when any table entry above it has the table bit set (AArch64 APTable[0] against AP[1]).</summary>
    AndNot,
}

/// <summary>Which halves of a layout ignore the top byte of an address (AArch64 TCR TBI0 / TBI1).</summary>
[Flags]
public enum TopByteIgnore
{
    None = 0,

    /// <summary>The lower half (TTBR0, TBI0).</summary>
    Lower = 1,

    /// <summary>The upper half (TTBR1, TBI1).</summary>
    Upper = 2,

    Both = Lower | Upper,
}
