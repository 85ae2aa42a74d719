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
