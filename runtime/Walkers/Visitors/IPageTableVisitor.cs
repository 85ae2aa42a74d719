using System.Numerics;

namespace Walkers;

/// <summary>
/// The walk's callback, the mini-os <c>func(va, lvl, is_leaf, pte, par)</c>. Implement it on a struct (or ref
/// struct) so the JIT specialises the walker and inlines <see cref="Visit"/>.
/// </summary>
public unsafe interface IPageTableVisitor<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    /// <param name="va">Base of the region the entry covers, canonical.</param>
    /// <param name="level">1 = lowest; N = the root table.</param>
    /// <param name="isLeaf">The entry does not point to a table: level 1, not present, or a huge/block page.</param>
    /// <param name="entry">The entry itself. The visitor may change it: the walker reads it again afterwards.</param>
    /// <returns>0 to go on; <see cref="WalkControl.SkipSubtree"/> not to descend below this entry; anything else stops the walk and is returned.</returns>
    int Visit(ulong va, int level, bool isLeaf, TEntry* entry);
}

/// <summary>A visitor that is also told when the walk leaves a table (post-order), e.g. to free a table that became empty.</summary>
public unsafe interface IPageTableTreeVisitor<TEntry> : IPageTableVisitor<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    /// <summary>
    /// Called after every entry of the table that <paramref name="entry"/> points to (within the walked range)
    /// was visited. <paramref name="va"/> and <paramref name="level"/> are the table entry's.
    /// </summary>
    /// <returns>0 (or <see cref="WalkControl.SkipSubtree"/>, which means the same here) to go on; anything else stops the walk and is returned.</returns>
    int Leave(ulong va, int level, TEntry* entry);
}

/// <summary>Return values with a meaning to the walker.</summary>
public static class WalkControl
{
    /// <summary>Go on with the walk.</summary>
    public const int Continue = 0;

    /// <summary>Do not descend into the table this entry points to; go on with the next entry. Reserved: never returned by a walk.</summary>
    public const int SkipSubtree = int.MinValue;

    /// <summary>
    /// What a walk under a <see cref="WalkLimit"/> returns when the limit stopped it (<see cref="WalkLimit.Stop"/> says
    /// why). Reserved like <see cref="SkipSubtree"/>: visitors stop walks with other values.
    /// </summary>
    public const int Limited = int.MinValue + 1;
}

/// <summary>
/// A visitor that takes the level-1 entries of a table as one run (the bulk leaf mode, <c>WalkLeafRuns</c>): every
/// level-1 entry of one table inside the walked range at once, so a visitor can loop over them (or vectorise)
/// instead of taking a call per entry. Entries above level 1 still come one by one through <see cref="IPageTableVisitor{TEntry}.Visit"/>,
/// and <see cref="IPageTableTreeVisitor{TEntry}.Leave"/> follows each table as in a tree walk.
/// </summary>
public unsafe interface IPageTableLeafRunVisitor<TEntry> : IPageTableTreeVisitor<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    /// <param name="va">The canonical address of the first entry's page; entry i maps the page at <c>va + i</c> pages.</param>
    /// <param name="entries">The first entry; the visitor may change any of the <paramref name="count"/>.</param>
    /// <param name="count">Consecutive entries of one table, 1 to its number of entries.</param>
    /// <returns>0 (or <see cref="WalkControl.SkipSubtree"/>, the same here) to go on; anything else stops the walk and is returned.</returns>
    int VisitLeafRun(ulong va, TEntry* entries, int count);
}

/// <summary>
/// How a generated walker's level-1 loop hands entries to its visitor: one <c>Visit</c> per entry, or one
/// <see cref="IPageTableLeafRunVisitor{TEntry}.VisitLeafRun"/> per table. Implemented by each generated layout (its
/// <c>EachLeaf</c> and <c>LeafRuns</c>); a type parameter of the level walkers, so the JIT compiles each mode apart.
/// </summary>
public unsafe interface ILevelOneWalk<TEntry, TVisitor>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    where TVisitor : IPageTableTreeVisitor<TEntry>, allows ref struct
{
    /// <summary>Visits the entries of the level-1 <paramref name="table"/> for the linear range [first, last].</summary>
    /// <param name="table">The level-1 table.</param>
    /// <param name="first">The first linear address of the range in this table.</param>
    /// <param name="last">The last linear address of the range in this table.</param>
    /// <param name="upperBits">Bits that make a linear address of an upper half canonical (0 otherwise).</param>
    /// <param name="visitor">The walk's visitor.</param>
    static abstract int Walk(TEntry* table, ulong first, ulong last, ulong upperBits, ref TVisitor visitor);
}
