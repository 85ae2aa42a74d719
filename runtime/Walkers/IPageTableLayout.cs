using System;
using System.Numerics;

namespace Walkers;

/// <summary>
/// A page-table layout as a type: one root table's format. The generator implements it on a nested <c>Layout</c>
/// struct of every annotated type (and <c>UpperLayout</c> for a layout with an upper half), so generic code over
/// <typeparamref name="TEntry"/> and the layout is specialised by the JIT: every member below folds to a
/// constant or a couple of instructions. docs/walk-semantics.md is the contract of the walks.
/// </summary>
/// <typeparam name="TEntry"><see cref="uint"/> or <see cref="ulong"/>: one page-table entry.</typeparam>
public unsafe interface IPageTableLayout<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    /// <summary>Number of levels; the root table is level N.</summary>
    static abstract int Levels { get; }

    static abstract int VirtualAddressBits { get; }

    /// <summary>Which addresses the root table covers: low, sign-extended (both halves), or an upper half.</summary>
    static abstract AddressHalf Half { get; }

    /// <summary>log2 of the smallest page (level 1's shift).</summary>
    static abstract int PageShift { get; }

    static abstract ulong PresentMask { get; }

    /// <summary>Every bit of an entry that holds address bits (both fields of a split address).</summary>
    static abstract ulong AddressMask { get; }

    /// <summary>The same layout as a run-time value, for the reference walker and for display.</summary>
    static abstract LevelTable LevelTable { get; }

    static abstract bool IsPresent(ulong entry);

    /// <summary>What <paramref name="entry"/> is at <paramref name="level"/>: absent, a table, a leaf, or a fault.</summary>
    static abstract EntryKind Kind(ulong entry, int level);

    /// <summary>The walker's leaf rule at <paramref name="level"/>: everything but a table (absent entries and faults included).</summary>
    static abstract bool IsLeaf(ulong entry, int level);

    /// <summary>The physical address an entry holds: the next table, or the frame (all of its address fields).</summary>
    static abstract ulong EntryAddress(ulong entry);

    /// <summary>An entry holding <paramref name="physicalAddress"/> with <paramref name="flags"/> (bits outside the address fields).</summary>
    static abstract ulong MakeEntry(ulong physicalAddress, ulong flags);

    /// <summary>The root table's address from the root register's value (CR3, satp, TTBRn), as the layout decodes it.</summary>
    static abstract ulong RootFromRegister(ulong register);

    /// <summary>The flags of a leaf at <paramref name="level"/> written from level-1 page flags (x86: the PS bit set; AArch64: a block descriptor).</summary>
    static abstract ulong LeafFlags(ulong pageFlags, int level);

    /// <summary>The level-1 page flags a leaf at <paramref name="level"/> with <paramref name="leafFlags"/> stands for (undoes <see cref="LeafFlags"/>).</summary>
    static abstract ulong PageFlags(ulong leafFlags, int level);

    /// <summary>
    /// What the table entry <paramref name="tableEntry"/> at <paramref name="level"/> adds to the restrictions on every
    /// page below it (the layout's <see cref="InheritAttribute"/> rules). Start from <see cref="InheritedFlags.None"/>
    /// at the root; <see cref="InheritedFlags.Apply"/> gives a leaf's effective bits.
    /// </summary>
    static abstract InheritedFlags Inherit(InheritedFlags above, ulong tableEntry, int level);

    static abstract int Shift(int level);

    static abstract int Entries(int level);

    static abstract ulong Prot(int level);

    static abstract bool LeafAllowed(int level);

    /// <summary>Bytes one entry at <paramref name="level"/> covers.</summary>
    static abstract ulong PageSize(int level);

    /// <summary>Bytes of one table at <paramref name="level"/>.</summary>
    static abstract uint TableBytes(int level);

    /// <summary>The canonical address of a linear one (the low <see cref="VirtualAddressBits"/> bits).</summary>
    static abstract ulong Canonical(ulong va);

    /// <summary>True when <paramref name="va"/> is an address of this table (untagged; see <see cref="Untag"/>).</summary>
    static abstract bool IsCanonical(ulong va);

    /// <summary>
    /// <paramref name="va"/> without its top-byte tag where the layout ignores it (AArch64 TBI); unchanged otherwise.
    /// Lookups and operations untag the addresses they are given.
    /// </summary>
    static abstract ulong Untag(ulong va);

    /// <summary>
    /// Walks [from, to] (inclusive) from the table at <paramref name="root"/>, calling the visitor for every
    /// entry in pre-order, as docs/walk-semantics.md says. A non-zero return from the visitor (other than
    /// <see cref="WalkControl.SkipSubtree"/>) stops the walk and is returned.
    /// </summary>
    static abstract int Walk<TMemory, TVisitor>(TMemory memory, ulong root, ulong from, ulong to, ref TVisitor visitor)
        where TMemory : struct, IPhysicalMemory
        where TVisitor : IPageTableVisitor<TEntry>, allows ref struct;

    /// <summary>Like <see cref="Walk"/>, and calls <see cref="IPageTableTreeVisitor{TEntry}.Leave"/> after a table's entries.</summary>
    static abstract int WalkTree<TMemory, TVisitor>(TMemory memory, ulong root, ulong from, ulong to, ref TVisitor visitor)
        where TMemory : struct, IPhysicalMemory
        where TVisitor : IPageTableTreeVisitor<TEntry>, allows ref struct;

    /// <summary>
    /// Like <see cref="WalkTree"/>, but the level-1 entries of each table come as one run
    /// (<see cref="IPageTableLeafRunVisitor{TEntry}.VisitLeafRun"/>): the bulk leaf mode, for visitors that loop or
    /// vectorise over leaves.
    /// </summary>
    static abstract int WalkLeafRuns<TMemory, TVisitor>(TMemory memory, ulong root, ulong from, ulong to, ref TVisitor visitor)
        where TMemory : struct, IPhysicalMemory
        where TVisitor : IPageTableLeafRunVisitor<TEntry>, allows ref struct;

    /// <summary>
    /// mini-os <c>get_pgt</c>: the entry that maps <paramref name="va"/> — a leaf (or fault) above level 1, or the
    /// level-1 entry even when it is not present; null when an upper level is not present, or a table is outside memory.
    /// </summary>
    static abstract TEntry* GetEntry<TMemory>(TMemory memory, ulong root, ulong va)
        where TMemory : struct, IPhysicalMemory;

    /// <summary>Translates <paramref name="va"/> through valid entries, huge pages included; false for an address not mapped, or mapped by a fault.</summary>
    static abstract bool TryTranslate<TMemory>(TMemory memory, ulong root, ulong va, out ulong physicalAddress)
        where TMemory : struct, IPhysicalMemory;

    /// <summary>
    /// Translates every address of <paramref name="virtualAddresses"/> into <paramref name="physicalAddresses"/>
    /// (<see cref="PageTables{TLayout, TEntry}.NotMapped"/> where it is not mapped) as <see cref="TryTranslate"/> does and
    /// returns how many were mapped. The tables found for one address are kept: the next address starts at the lowest of
    /// them that covers it, so neighbouring addresses cost one entry read instead of a walk from the root.
    /// </summary>
    static abstract int TranslateMany<TMemory>(TMemory memory, ulong root, ReadOnlySpan<ulong> virtualAddresses, Span<ulong> physicalAddresses)
        where TMemory : struct, IPhysicalMemory;
}
