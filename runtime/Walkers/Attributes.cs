using System;

namespace Walkers;

/// <summary>
/// Describes the entry format of a page-table layout. Put it on a partial type together with one
/// <see cref="PageLevelAttribute"/> per level; the Walkers generator emits the walkers for it.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class PageTableAttribute : Attribute
{
    /// <summary>Width of a virtual address; must equal the top level's shift plus log2 of its entries.</summary>
    public int VirtualAddressBits { get; set; }

    /// <summary>Virtual addresses are sign-extended from their top bit (x86-64, RISC-V): the walk skips the non-canonical hole.</summary>
    public bool SignExtend { get; set; }

    /// <summary>Width of one entry: 64 (default) or 32 (legacy x86).</summary>
    public int EntryBits { get; set; } = 64;

    /// <summary>An entry is present when any of these bits is set.</summary>
    public ulong PresentMask { get; set; }

    /// <summary>The bits of an entry that hold the next table's or the frame's address (or frame number).</summary>
    public ulong AddressMask { get; set; }

    /// <summary>Left shift from <c>entry &amp; AddressMask</c> to the physical address (RISC-V keeps a frame number at bit 10: 2).</summary>
    public int AddressShift { get; set; }

    /// <summary>A present entry above level 1 points to a table when <c>(entry &amp; TableMask) == TableValue</c>.</summary>
    public ulong TableMask { get; set; }

    /// <summary>See <see cref="TableMask"/>.</summary>
    public ulong TableValue { get; set; }
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
}
