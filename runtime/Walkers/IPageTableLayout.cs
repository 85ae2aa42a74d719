using System.Numerics;

namespace Walkers;

/// <summary>
/// A page-table layout as a type. The generator implements it on a nested <c>Layout</c> struct of every
/// annotated type, so generic code over <typeparamref name="TEntry"/> and the layout is specialised by the JIT:
/// every member below folds to a constant or a couple of instructions.
/// </summary>
/// <typeparam name="TEntry"><see cref="uint"/> or <see cref="ulong"/>: one page-table entry.</typeparam>
public unsafe interface IPageTableLayout<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    /// <summary>Number of levels; the root table is level N.</summary>
    static abstract int Levels { get; }

    static abstract int VirtualAddressBits { get; }

    static abstract bool SignExtend { get; }

    /// <summary>log2 of the smallest page (level 1's shift).</summary>
    static abstract int PageShift { get; }

    static abstract ulong PresentMask { get; }

    static abstract ulong AddressMask { get; }

    /// <summary>The same layout as a run-time value, for the reference walker and for display.</summary>
    static abstract LevelTable LevelTable { get; }

    static abstract bool IsPresent(ulong entry);

    /// <summary>A present entry shaped like a table pointer (whatever the level).</summary>
    static abstract bool IsTable(ulong entry);

    /// <summary>The walker's leaf rule at <paramref name="level"/>.</summary>
    static abstract bool IsLeaf(ulong entry, int level);

    /// <summary>The physical address an entry holds: the next table, or the frame.</summary>
    static abstract ulong EntryAddress(ulong entry);

    /// <summary>An entry holding <paramref name="physicalAddress"/> with <paramref name="flags"/> (bits outside the address field).</summary>
    static abstract ulong MakeEntry(ulong physicalAddress, ulong flags);

    static abstract int Shift(int level);

    static abstract int Entries(int level);

    static abstract ulong Prot(int level);

    static abstract bool LeafAllowed(int level);

    /// <summary>Bytes one entry at <paramref name="level"/> covers.</summary>
    static abstract ulong PageSize(int level);

    /// <summary>Bytes of one table at <paramref name="level"/>.</summary>
    static abstract uint TableBytes(int level);

    static abstract ulong Canonical(ulong va);

    static abstract bool IsCanonical(ulong va);

    /// <summary>
    /// Walks [from, to] (inclusive) from the table at <paramref name="root"/>, calling the visitor for every
    /// entry in pre-order (see the design for the exact semantics). A non-zero return from the visitor
    /// (other than <see cref="WalkControl.SkipSubtree"/>) stops the walk and is returned.
    /// </summary>
    static abstract int Walk<TMemory, TVisitor>(TMemory memory, ulong root, ulong from, ulong to, ref TVisitor visitor)
        where TMemory : struct, IPhysicalMemory
        where TVisitor : IPageTableVisitor<TEntry>, allows ref struct;

    /// <summary>Like <see cref="Walk"/>, and calls <see cref="IPageTableTreeVisitor{TEntry}.Leave"/> after a table's entries.</summary>
    static abstract int WalkTree<TMemory, TVisitor>(TMemory memory, ulong root, ulong from, ulong to, ref TVisitor visitor)
        where TMemory : struct, IPhysicalMemory
        where TVisitor : IPageTableTreeVisitor<TEntry>, allows ref struct;

    /// <summary>
    /// mini-os <c>get_pgt</c>: the entry that maps <paramref name="va"/> — a leaf above level 1, or the level-1
    /// entry even when it is not present; null when an upper level is not present or a table is outside memory.
    /// </summary>
    static abstract TEntry* GetEntry<TMemory>(TMemory memory, ulong root, ulong va)
        where TMemory : struct, IPhysicalMemory;

    /// <summary>Translates <paramref name="va"/> through present entries, huge pages included.</summary>
    static abstract bool TryTranslate<TMemory>(TMemory memory, ulong root, ulong va, out ulong physicalAddress)
        where TMemory : struct, IPhysicalMemory;
}
