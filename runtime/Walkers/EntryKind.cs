using System.Runtime.CompilerServices;

namespace Walkers;

/// <summary>What an entry is, by the layout's rules at its level (<see cref="IPageTableLayout{TEntry}.Kind"/>).</summary>
public enum EntryKind
{
    /// <summary>Not present: maps nothing.</summary>
    Absent,

    /// <summary>Points to a table of the next level; the walk follows it.</summary>
    Table,

    /// <summary>Maps a page (a huge page or block above level 1).</summary>
    Leaf,

    /// <summary>
    /// Present, but an encoding the hardware faults on (a reserved type, a pointer at the last level, a
    /// misaligned superpage...): the walk hands it to the visitor as a leaf and never follows it, and it
    /// translates nothing.
    /// </summary>
    Fault,
}

/// <summary>
/// Which part of the 64-bit address space one root table covers (<see cref="IPageTableLayout{TEntry}.Half"/>).
/// </summary>
public enum AddressHalf
{
    /// <summary>[0, 2^bits): addresses above it do not exist (x86 32-bit, AArch64 TTBR0).</summary>
    Low,

    /// <summary>
    /// [0, 2^(bits-1)) and [2^64 - 2^(bits-1), 2^64): addresses are sign-extended from their top bit, and one
    /// table holds both halves (x86-64, RISC-V).
    /// </summary>
    SignExtended,

    /// <summary>[2^64 - 2^bits, 2^64): the table of an upper half with its own root (AArch64 TTBR1).</summary>
    High,
}

/// <summary>
/// What the table entries on the way down to a page do to its bits (<see cref="InheritAttribute"/> rules):
/// the bits forced on and the bits forced off. <see cref="Apply"/> gives a page's effective bits.
/// </summary>
/// <param name="Set">Leaf bits that count as set whatever the leaf says (x86 NX of an upper level).</param>
/// <param name="Clear">Leaf bits that count as clear whatever the leaf says (x86 R/W of a read-only upper level).</param>
public readonly record struct InheritedFlags(ulong Set, ulong Clear)
{
    /// <summary>Nothing inherited: the state at the root.</summary>
    public static InheritedFlags None => default;

    /// <summary>The effective bits of a leaf below the table entries this state was built from.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Apply(ulong leaf) => (leaf | Set) & ~Clear;
}

/// <summary>
/// The two roots of a layout with an upper half (AArch64: TTBR0 for the lower half, TTBR1 for the upper half),
/// as table addresses (<c>RootsFromRegisters</c> decodes them from register values). A null root means that
/// half is not translated (TCR.EPDn = 1): nothing is walked there, and nothing translates.
/// </summary>
public readonly record struct PageTableRoots(ulong? Lower, ulong? Upper)
{
    public override string ToString() =>
        $"lower {(Lower is ulong l ? "0x" + l.ToString("x", System.Globalization.CultureInfo.InvariantCulture) : "none")}, upper {(Upper is ulong u ? "0x" + u.ToString("x", System.Globalization.CultureInfo.InvariantCulture) : "none")}";
}
